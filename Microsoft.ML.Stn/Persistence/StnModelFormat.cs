using Microsoft.ML;
using Microsoft.ML.Runtime;
using Microsoft.ML.Stn;
using Microsoft.ML.Stn.MLNet;
using Microsoft.ML.Stn.Network;
using Microsoft.ML.Stn.Persistence;
using static TorchSharp.torch;

[assembly: LoadableClass(typeof(StnClassifyTransformer), typeof(StnModelFormat), null, typeof(SignatureLoadModel),
    "Spatial Transformer Network classifier", StnModelFormat.LoaderSignature)]

namespace Microsoft.ML.Stn.Persistence;

/// <summary>
/// How a trained <see cref="StnClassifyTransformer"/> travels inside an ML.NET model zip. ML.NET's own header is
/// written once at version 1 and never changes; everything of ours lives in one binary entry,
/// <see cref="EntryName"/>, that starts with its own format version, so future formats can be refused with a
/// message that names the versions. The entry holds, in order: format version, architecture (input shape, output
/// size, transform family, sampler options, whether the spatial transformer is used, and from format 2 the
/// thin-plate spline's control-point grid size and the transformer count), column names, label key count
/// and key values, scoring batch size, then every tensor of the network's state (name, shape, float32 values).
/// </summary>
internal static class StnModelFormat
{
    public const string LoaderSignature = "StnClassifyTransformer";
    public const string EntryName = "StnModel.bin";

    /// <summary>The format this version writes.</summary>
    public const int CurrentFormatVersion = 2;

    /// <summary>The oldest format this version reads.</summary>
    public const int OldestFormatVersion = 1;

    private const string Component = "Microsoft.ML.Stn (StnClassify transformer)";

    private static VersionInfo GetVersionInfo() => new(
        modelSignature: "STNCLSFY",
        verWrittenCur: 0x00010001,
        verReadableCur: 0x00010001,
        verWeCanReadBack: 0x00010001,
        loaderSignature: LoaderSignature,
        loaderAssemblyName: typeof(StnModelFormat).Assembly.FullName);

    public static void Save(IHost host, ModelSaveContext ctx, StnClassifyTransformer transformer)
    {
        host.CheckValue(ctx, nameof(ctx));
        ctx.CheckAtModel();
        ctx.SetVersionInfo(GetVersionInfo());
        if (!ctx.InRepository)
            throw host.Except("{0} can only be saved into a model repository (use MLContext.Model.Save).", Component);
        ctx.SaveBinaryStream(EntryName, writer => Write(writer, transformer));
    }

    /// <summary>Called by ML.NET's model loader (through the LoadableClass registration above).</summary>
    private static StnClassifyTransformer Create(IHostEnvironment env, ModelLoadContext ctx)
    {
        Contracts.CheckValue(env, nameof(env));
        var host = env.Register(nameof(StnModelFormat));
        host.CheckValue(ctx, nameof(ctx));
        ctx.CheckAtModel(GetVersionInfo());
        StnClassifyTransformer? transformer = null;
        if (!ctx.TryLoadBinaryStream(EntryName, reader => transformer = Read(host, reader)))
            throw host.Except("{0}: the model has no '{1}' entry; the file is incomplete or not an StnClassify model.", Component, EntryName);
        return transformer!;
    }

    private static void Write(BinaryWriter writer, StnClassifyTransformer transformer)
    {
        var a = transformer.Architecture;
        writer.Write(CurrentFormatVersion);
        writer.Write(a.Channels);
        writer.Write(a.Height);
        writer.Write(a.Width);
        writer.Write(a.OutputHeight);
        writer.Write(a.OutputWidth);
        writer.Write((int)a.Transform);
        writer.Write((int)a.Sampling);
        writer.Write((int)a.Padding);
        writer.Write(a.AlignCorners);
        writer.Write(a.UseSpatialTransformer);
        writer.Write(a.ControlPointGridSize);
        writer.Write(a.TransformerCount);
        var names = transformer.ColumnNames;
        writer.Write(names.Features);
        writer.Write(names.PredictedLabel);
        writer.Write(names.Score);
        writer.Write(names.Warp);
        writer.Write(names.RectifiedImage ?? "");
        transformer.Labels.Write(writer);
        writer.Write(transformer.ScoringBatchSize);

        var state = transformer.Network.state_dict();
        writer.Write(state.Count);
        foreach (var (name, tensor) in state)
        {
            writer.Write(name);
            // dim() is a long; the reader (and the documented format) take the rank as an int32.
            writer.Write(checked((int)tensor.dim()));
            foreach (long size in tensor.shape) writer.Write(size);
            using var values = tensor.detach().contiguous().to(ScalarType.Float32);
            var buffer = new float[values.numel()];
            values.data<float>().CopyTo(buffer, 0, 0);
            writer.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(buffer.AsSpan()));
        }
    }

    private static StnClassifyTransformer Read(IHost host, BinaryReader reader)
    {
        StnClassifierNetwork? network = null;
        try
        {
            int version = reader.ReadInt32();
            if (version < OldestFormatVersion || version > CurrentFormatVersion)
            {
                throw new InvalidDataException(
                    $"{Component}: the model was written with format version {version}; this version of Microsoft.ML.Stn " +
                    $"reads format versions {OldestFormatVersion} to {CurrentFormatVersion}." +
                    (version > CurrentFormatVersion ? " Update the Microsoft.ML.Stn package to load it." : ""));
            }
            var architecture = new StnArchitecture(
                Channels: Positive(reader.ReadInt32(), "channels"),
                Height: Positive(reader.ReadInt32(), "height"),
                Width: Positive(reader.ReadInt32(), "width"),
                OutputHeight: Positive(reader.ReadInt32(), "output height"),
                OutputWidth: Positive(reader.ReadInt32(), "output width"),
                ClassCount: 0,
                Transform: Defined<TransformKind>(reader.ReadInt32()),
                Sampling: Defined<SamplingMode>(reader.ReadInt32()),
                Padding: Defined<PaddingMode>(reader.ReadInt32()),
                AlignCorners: reader.ReadBoolean(),
                UseSpatialTransformer: reader.ReadBoolean());
            // Format 2 added the thin-plate spline's grid size and the transformer count; format 1 had neither.
            if (version >= 2)
            {
                architecture = architecture with
                {
                    ControlPointGridSize = Positive(reader.ReadInt32(), "control-point grid size"),
                    TransformerCount = Positive(reader.ReadInt32(), "transformer count"),
                };
            }
            string features = reader.ReadString(), predicted = reader.ReadString(), score = reader.ReadString(), warp = reader.ReadString();
            string rectified = reader.ReadString();
            var labels = LabelKeys.Read(reader);
            int scoringBatchSize = Positive(reader.ReadInt32(), "scoring batch size");
            architecture = architecture with { ClassCount = labels.Count };

            network = new StnClassifierNetwork(architecture);
            ReadState(reader, network);
            var names = new StnColumnNames(features, predicted, score, warp, rectified.Length == 0 ? null : rectified);
            return new StnClassifyTransformer(host, network, names, labels, scoringBatchSize, Array.Empty<StnTrainingProgress>());
        }
        // Garbage geometry can ask libtorch for terabytes (ExternalException) and garbage label data fails in LabelKeys,
        // which does not know it is loading a model; both must still say which component and entry are damaged.
        catch (Exception e) when (e is EndOfStreamException or IOException or ArgumentException or OverflowException
            or System.Runtime.InteropServices.ExternalException or OutOfMemoryException
            || (e is InvalidDataException && !e.Message.StartsWith(Component, StringComparison.Ordinal)))
        {
            network?.Dispose();
            string reason = e.Message.Split('\n', 2)[0].Trim();
            throw new InvalidDataException($"{Component}: the model entry '{EntryName}' is corrupted or truncated ({reason}).", e);
        }
        catch
        {
            network?.Dispose();
            throw;
        }
    }

    /// <summary>Loads every stored tensor into the rebuilt network, which must have exactly the same names and shapes.</summary>
    private static void ReadState(BinaryReader reader, StnClassifierNetwork network)
    {
        var state = network.state_dict();
        int count = reader.ReadInt32();
        if (count != state.Count)
        {
            throw new InvalidDataException(
                $"{Component}: the model stores {count} weight tensors but the stored architecture has {state.Count}.");
        }
        using var _ = no_grad();
        for (int i = 0; i < count; i++)
        {
            string name = reader.ReadString();
            int rank = reader.ReadInt32();
            if (rank < 0 || rank > 8) throw new InvalidDataException($"{Component}: weight tensor '{name}' has an invalid rank {rank}.");
            var shape = new long[rank];
            for (int d = 0; d < rank; d++) shape[d] = reader.ReadInt64();
            if (!state.TryGetValue(name, out var target))
                throw new InvalidDataException($"{Component}: the model stores weights '{name}', which the stored architecture does not have.");
            if (!target.shape.SequenceEqual(shape))
            {
                throw new InvalidDataException(
                    $"{Component}: weights '{name}' have shape [{string.Join(", ", shape)}] in the model but the stored " +
                    $"architecture needs [{string.Join(", ", target.shape)}].");
            }
            var values = new float[target.numel()];
            var bytes = System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan());
            // One Read may return fewer bytes than asked for from a decompressing stream without being at its end.
            for (int filled = 0; filled < bytes.Length;)
            {
                int read = reader.Read(bytes[filled..]);
                if (read == 0) throw new EndOfStreamException($"weights '{name}' end early");
                filled += read;
            }
            using var source = tensor(values, shape);
            target.copy_(source);
        }
    }

    private static int Positive(int value, string what) =>
        value > 0 ? value : throw new InvalidDataException($"{Component}: the stored {what} is {value}; it must be positive.");

    private static T Defined<T>(int value) where T : struct, Enum =>
        Enum.IsDefined(typeof(T), value) ? (T)(object)value
            : throw new InvalidDataException($"{Component}: the stored {typeof(T).Name} {value} is not one this version knows.");
}
