using Microsoft.ML.Stn.Network;

namespace Microsoft.ML.Stn.Persistence;

/// <summary>
/// A trained <see cref="StnClassifierNetwork"/> as bytes: its architecture, then its weights and buffers in TorchSharp's
/// own module format (the way Microsoft.ML.TorchSharp stores its models inside ML.NET's binary streams).
/// </summary>
internal static class NetworkFormat
{
    // *** Binary format ***
    // int: channels, height, width, output height, output width, class count
    // int: transform kind, sampling mode, padding mode
    // bool: align corners, use spatial transformer
    // int: control-point grid size (thin-plate spline), transformer count
    // from format 3: int: refinement steps, localisation width; bool: localisation batch norm, classifier batch norm
    // format 4 only: bool: moment normalisation (true: the radius-of-gyration view)
    // from format 5: int: moment view
    // from format 6: int: view height, view width (the size at which the localisation net reads each view)
    // TorchSharp module state (Module.save, which copies a tensor on another device to the CPU before writing it, so the
    // bytes do not depend on the device the network is on; Read builds the network on the CPU)
    public static void Write(BinaryWriter writer, StnClassifierNetwork network)
    {
        var a = network.Architecture;
        writer.Write(a.Channels);
        writer.Write(a.Height);
        writer.Write(a.Width);
        writer.Write(a.OutputHeight);
        writer.Write(a.OutputWidth);
        writer.Write(a.ClassCount);
        writer.Write((int)a.Transform);
        writer.Write((int)a.Sampling);
        writer.Write((int)a.Padding);
        writer.Write(a.AlignCorners);
        writer.Write(a.UseSpatialTransformer);
        writer.Write(a.ControlPointGridSize);
        writer.Write(a.TransformerCount);
        writer.Write(a.RefinementSteps);
        writer.Write(a.LocalisationWidth);
        writer.Write(a.LocalisationBatchNorm);
        writer.Write(a.ClassifierBatchNorm);
        writer.Write((int)a.MomentView);
        writer.Write(a.ViewSize.Height);
        writer.Write(a.ViewSize.Width);
        network.save(writer);
    }

    /// <summary>Reads a network written by <see cref="Write"/> in entry format <paramref name="formatVersion"/>.</summary>
    public static StnClassifierNetwork Read(BinaryReader reader, int formatVersion)
    {
        var architecture = new StnArchitecture(
            Channels: Positive(reader.ReadInt32(), "channels"),
            Height: Positive(reader.ReadInt32(), "height"),
            Width: Positive(reader.ReadInt32(), "width"),
            OutputHeight: Positive(reader.ReadInt32(), "output height"),
            OutputWidth: Positive(reader.ReadInt32(), "output width"),
            ClassCount: Positive(reader.ReadInt32(), "class count"),
            Transform: Defined<TransformKind>(reader.ReadInt32()),
            Sampling: Defined<SamplingMode>(reader.ReadInt32()),
            Padding: Defined<PaddingMode>(reader.ReadInt32()),
            AlignCorners: reader.ReadBoolean(),
            UseSpatialTransformer: reader.ReadBoolean(),
            ControlPointGridSize: Positive(reader.ReadInt32(), "control-point grid size"),
            TransformerCount: Positive(reader.ReadInt32(), "transformer count"));
        // Format 2 predates these settings; its networks had one refinement step, a localisation net of width 1 and no
        // batch normalisation, which are the record's defaults (not the options' defaults of today).
        if (formatVersion >= 3)
        {
            architecture = architecture with
            {
                RefinementSteps = Positive(reader.ReadInt32(), "refinement step count"),
                LocalisationWidth = Positive(reader.ReadInt32(), "localisation width"),
                LocalisationBatchNorm = reader.ReadBoolean(),
                ClassifierBatchNorm = reader.ReadBoolean(),
            };
        }
        // Formats 2 and 3 predate moment normalisation; their networks started from the whole input.
        if (formatVersion == 4)
            architecture = architecture with { MomentView = reader.ReadBoolean() ? MomentView.RadiusOfGyration : MomentView.None };
        else if (formatVersion >= 5)
            architecture = architecture with { MomentView = Defined<MomentView>(reader.ReadInt32()) };
        // Formats up to 5 read every view at the input's size.
        if (formatVersion >= 6)
        {
            architecture = architecture with
            {
                ViewHeight = Positive(reader.ReadInt32(), "view height"),
                ViewWidth = Positive(reader.ReadInt32(), "view width"),
            };
        }

        var network = new StnClassifierNetwork(architecture);
        try
        {
            network.load(reader, strict: true);
            return network;
        }
        catch
        {
            network.Dispose();
            throw;
        }
    }

    private static int Positive(int value, string what) =>
        value > 0 ? value : throw new InvalidDataException($"the stored {what} is {value}; it must be positive");

    private static T Defined<T>(int value) where T : struct, Enum =>
        Enum.IsDefined(typeof(T), value) ? (T)(object)value
            : throw new InvalidDataException($"the stored {typeof(T).Name} {value} is not one this version knows");
}
