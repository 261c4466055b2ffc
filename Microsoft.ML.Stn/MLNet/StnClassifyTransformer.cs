using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using Microsoft.ML.Stn;
using Microsoft.ML.Stn.MLNet;
using Microsoft.ML.Stn.Network;
using Microsoft.ML.Stn.Persistence;

[assembly: LoadableClass(typeof(StnClassifyTransformer), null, typeof(SignatureLoadModel),
    "Spatial Transformer Network classifier", StnClassifyTransformer.LoaderSignature)]

namespace Microsoft.ML.Stn;

/// <summary>
/// A trained spatial transformer network classifier. <see cref="Transform"/> keeps every input column and adds
/// <c>PredictedLabel</c> (key-typed like the label), <c>Score</c> (class probabilities), θ, the bounding box and, when
/// named, the rectified image. Scoring is lazy and batched; the transformer is safe to use from several threads.
/// Disposing it (or the <see cref="TransformerChain{TLastTransformer}"/> that holds it) frees the network's native
/// memory, on a GPU its device memory, at once instead of at finalisation; it cannot score, save or export after that.
/// </summary>
public sealed class StnClassifyTransformer : ITransformer, ICanSaveModel, IDisposable
{
    internal const string LoaderSignature = "StnClassifyTransformer";
    private const string Component = "Microsoft.ML.Stn (StnClassify transformer)";

    /// <summary>Our entry in the model zip; ML.NET's own header for this transformer never changes.</summary>
    internal const string EntryName = "StnModel.bin";

    /// <summary>
    /// The entry format this version writes: 2 added the checksum and TorchSharp's module format, 3 the localisation
    /// net's width and batch normalisation, the classifier's batch normalisation and the refinement steps, 4 moment
    /// normalisation, 5 the moment view in its place, 6 the size at which the localisation net reads each view.
    /// </summary>
    internal const int CurrentFormatVersion = 6;

    /// <summary>The oldest entry format this version reads.</summary>
    internal const int OldestFormatVersion = 2;

    private readonly IHost _host;

    internal StnClassifyTransformer(IHostEnvironment env, StnClassifierNetwork network, StnColumnNames names,
        LabelKeys labels, int scoringBatchSize, IReadOnlyList<StnTrainingProgress> history)
    {
        _host = env.Register(nameof(StnClassifyTransformer));
        Scorer = new BatchScorer(network);
        Outputs = new StnOutputColumns(names, labels, network.Architecture);
        ScoringBatchSize = scoringBatchSize;
        TrainingHistory = history;
    }

    internal StnClassifierNetwork Network => Scorer.Network;

    internal BatchScorer Scorer { get; }

    internal StnOutputColumns Outputs { get; }

    internal StnColumnNames ColumnNames => Outputs.Names;

    internal LabelKeys Labels => Outputs.Labels;

    internal StnArchitecture Architecture => Scorer.Architecture;

    /// <summary>Name of the image column the transformer reads.</summary>
    public string FeatureColumnName => ColumnNames.Features;

    /// <summary>Name of the added column of class probabilities.</summary>
    public string ScoreColumnName => ColumnNames.Score;

    /// <summary>Name of the added key-typed column of the predicted class.</summary>
    public string PredictedLabelColumnName => ColumnNames.PredictedLabel;

    /// <summary>Name of the added column of θ (see <see cref="StnClassifyOptions.ThetaColumnName"/>).</summary>
    public string ThetaColumnName => ColumnNames.Theta;

    /// <summary>Name of the added bounding-box column, or null when it is not produced
    /// (see <see cref="StnClassifyOptions.BoundingBoxColumnName"/>).</summary>
    public string? BoundingBoxColumnName => ColumnNames.BoundingBox;

    /// <summary>Name of the added rectified-image column, or null when it is not produced.</summary>
    public string? RectifiedImageColumnName => ColumnNames.RectifiedImage;

    /// <summary>Number of classes (the label's key count).</summary>
    public int ClassCount => Architecture.ClassCount;

    /// <summary>The transform family of the spatial transformer.</summary>
    public TransformKind TransformKind => Architecture.Transform;

    /// <summary>Height of the rectified image the classifier reads.</summary>
    public int OutputHeight => Architecture.OutputHeight;

    /// <summary>Width of the rectified image the classifier reads.</summary>
    public int OutputWidth => Architecture.OutputWidth;

    /// <summary>Whether the classifier reads the output of a spatial transformer (false for the baseline).</summary>
    public bool UsesSpatialTransformer => Architecture.UseSpatialTransformer;

    /// <summary>Length of the θ column: per transformer 6 (2×3 θ), 9 (3×3 θ for projective) or 2K² (thin-plate
    /// spline), times the transformer count.</summary>
    public int ThetaLength => Architecture.ThetaLength;

    /// <summary>Rows per forward pass when scoring through <see cref="ITransformer.Transform"/>.</summary>
    public int ScoringBatchSize { get; }

    /// <summary>One report per trained epoch (empty for a transformer loaded from a file).</summary>
    public IReadOnlyList<StnTrainingProgress> TrainingHistory { get; }

    /// <summary>Always true: the transformer maps each row independently.</summary>
    public bool IsRowToRowMapper => true;

    /// <inheritdoc/>
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema)
    {
        _host.CheckValue(inputSchema, nameof(inputSchema));
        Bind(inputSchema);
        return Outputs.OutputSchema(inputSchema);
    }

    /// <inheritdoc/>
    public IDataView Transform(IDataView input)
    {
        _host.CheckValue(input, nameof(input));
        return new ScoredDataView(input, Bind(input.Schema), Outputs, Scorer, ScoringBatchSize);
    }

    /// <inheritdoc/>
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema)
    {
        _host.CheckValue(inputSchema, nameof(inputSchema));
        return new RowToRowMapperTransform(_host, new EmptyDataView(_host, inputSchema), MakeRowMapper(inputSchema), MakeRowMapper);
    }

    private StnRowMapper MakeRowMapper(DataViewSchema inputSchema) => new(this, inputSchema, Bind(inputSchema));

    private ImageInput Bind(DataViewSchema schema)
    {
        StnOutputColumns.CheckBoundingBoxName(_host, ColumnNames.BoundingBox, schema.Select(c => c.Name));
        return ImageInput.Bind(_host, schema, ColumnNames.Features, Architecture.Channels, Architecture.Height, Architecture.Width);
    }

    private static VersionInfo GetVersionInfo() => new(
        modelSignature: "STNCLSFY",
        verWrittenCur: 0x00010001,
        verReadableCur: 0x00010001,
        verWeCanReadBack: 0x00010001,
        loaderSignature: LoaderSignature,
        loaderAssemblyName: typeof(StnClassifyTransformer).Assembly.FullName);

    void ICanSaveModel.Save(ModelSaveContext ctx)
    {
        _host.CheckValue(ctx, nameof(ctx));
        ctx.CheckAtModel();
        ctx.SetVersionInfo(GetVersionInfo());
        if (!ctx.InRepository)
            throw _host.Except("{0} can only be saved into a model repository (use MLContext.Model.Save).", Component);

        // *** Binary format *** (entry StnModel.bin, inside ChecksummedEntry's version and checksum)
        // network (NetworkFormat)
        // string: feature, predicted label, score and θ column names; bounding box and rectified image names ("" = none)
        // label keys (LabelKeys)
        // int: scoring batch size
        ChecksummedEntry.Save(ctx, EntryName, CurrentFormatVersion, writer =>
        {
            NetworkFormat.Write(writer, Network);
            var names = ColumnNames;
            writer.Write(names.Features);
            writer.Write(names.PredictedLabel);
            writer.Write(names.Score);
            writer.Write(names.Theta);
            writer.Write(names.BoundingBox ?? "");
            writer.Write(names.RectifiedImage ?? "");
            Labels.Write(writer);
            writer.Write(ScoringBatchSize);
        });
    }

    /// <summary>Called by ML.NET's model loader (through the LoadableClass registration above).</summary>
    private static StnClassifyTransformer Create(IHostEnvironment env, ModelLoadContext ctx)
    {
        Contracts.CheckValue(env, nameof(env));
        var host = env.Register(nameof(StnClassifyTransformer));
        host.CheckValue(ctx, nameof(ctx));
        ctx.CheckAtModel(GetVersionInfo());
        Platform.TorchRuntime.EnsureAvailable();
        TorchSharp.torch.Device device;
        using (var channel = host.Start("Loading"))
            device = ComputeDevice.Choose(env, channel, null, null, "scoring");
        var transformer = ChecksummedEntry.Load(host, ctx, EntryName, Component, OldestFormatVersion, CurrentFormatVersion, (reader, version) =>
        {
            var network = NetworkFormat.Read(reader, version);
            try
            {
                var names = new StnColumnNames(reader.ReadString(), reader.ReadString(), reader.ReadString(), reader.ReadString(),
                    OrNull(reader.ReadString()), OrNull(reader.ReadString()));
                var labels = LabelKeys.Read(reader);
                if (labels.Count != network.Architecture.ClassCount)
                    throw new InvalidDataException($"{labels.Count} label keys for {network.Architecture.ClassCount} classes");
                int scoringBatchSize = reader.ReadInt32();
                if (scoringBatchSize <= 0)
                    throw new InvalidDataException($"the stored scoring batch size is {scoringBatchSize}");
                return new StnClassifyTransformer(host, network, names, labels, scoringBatchSize, Array.Empty<StnTrainingProgress>());
            }
            catch
            {
                network.Dispose();
                throw;
            }
        });
        // Read on the CPU (the stored weights do not depend on the device they were trained on), then moved.
        try
        {
            transformer.Network.MoveTo(device);
        }
        catch
        {
            transformer.Dispose();
            throw;
        }
        return transformer;
    }

    /// <summary>Frees the network's native memory; later scoring, saving or export throws <see cref="ObjectDisposedException"/>.</summary>
    public void Dispose() => Scorer.Dispose();

    private static string? OrNull(string name) => name.Length == 0 ? null : name;
}
