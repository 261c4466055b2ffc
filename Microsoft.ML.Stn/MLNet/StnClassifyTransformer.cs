using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using Microsoft.ML.Stn.MLNet;
using Microsoft.ML.Stn.Network;
using Microsoft.ML.Stn.Persistence;

namespace Microsoft.ML.Stn;

/// <summary>
/// A trained spatial transformer network classifier. <see cref="Transform"/> keeps every input column and adds
/// <c>PredictedLabel</c> (key-typed like the label), <c>Score</c> (class probabilities), the learned warp θ and,
/// when named, the rectified image. Scoring is lazy and batched; the transformer is safe to use from several threads.
/// </summary>
public sealed class StnClassifyTransformer : ITransformer, ICanSaveModel
{
    private readonly IHost _host;
    private readonly BatchScorer _scorer;
    private readonly StnOutputColumns _outputs;

    internal StnClassifyTransformer(IHostEnvironment env, StnClassifierNetwork network, StnColumnNames names,
        LabelKeys labels, int scoringBatchSize, IReadOnlyList<StnTrainingProgress> history)
    {
        _host = env.Register(nameof(StnClassifyTransformer));
        Network = network;
        _scorer = new BatchScorer(network);
        _outputs = new StnOutputColumns(names, labels, network.Architecture.WarpLength, network.Architecture.RectifiedPixelCount);
        ScoringBatchSize = scoringBatchSize;
        TrainingHistory = history;
    }

    internal StnClassifierNetwork Network { get; }

    internal StnColumnNames ColumnNames => _outputs.Names;

    internal LabelKeys Labels => _outputs.Labels;

    internal StnArchitecture Architecture => Network.Architecture;

    /// <summary>Name of the image column the transformer reads.</summary>
    public string FeatureColumnName => ColumnNames.Features;

    /// <summary>Name of the added column of class probabilities.</summary>
    public string ScoreColumnName => ColumnNames.Score;

    /// <summary>Name of the added key-typed column of the predicted class.</summary>
    public string PredictedLabelColumnName => ColumnNames.PredictedLabel;

    /// <summary>Name of the added column of θ (see <see cref="StnClassifyOptions.WarpColumnName"/>).</summary>
    public string WarpColumnName => ColumnNames.Warp;

    /// <summary>Name of the added rectified-image column, or null when it is not produced.</summary>
    public string? RectifiedImageColumnName => ColumnNames.RectifiedImage;

    /// <summary>Number of classes (the label's key count).</summary>
    public int ClassCount => Architecture.ClassCount;

    /// <summary>The transform family of the spatial transformer.</summary>
    public TransformKind TransformKind => Architecture.Transform;

    /// <summary>Whether the classifier reads the output of a spatial transformer (false for the baseline).</summary>
    public bool UsesSpatialTransformer => Architecture.UseSpatialTransformer;

    /// <summary>Length of the warp column: per transformer 6 (2×3 θ), 9 (3×3 θ for projective) or 2K² (thin-plate
    /// spline), times the transformer count.</summary>
    public int WarpLength => Architecture.WarpLength;

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
        return _outputs.OutputSchema(inputSchema);
    }

    /// <inheritdoc/>
    public IDataView Transform(IDataView input)
    {
        _host.CheckValue(input, nameof(input));
        return new ScoredDataView(input, Bind(input.Schema), _outputs, _scorer, ScoringBatchSize);
    }

    /// <inheritdoc/>
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema)
    {
        _host.CheckValue(inputSchema, nameof(inputSchema));
        return new StnRowToRowMapper(inputSchema, Bind(inputSchema), _outputs, _scorer);
    }

    void ICanSaveModel.Save(ModelSaveContext ctx) => StnModelFormat.Save(_host, ctx, this);

    private ImageInput Bind(DataViewSchema schema) =>
        ImageInput.Bind(_host, schema, ColumnNames.Features, Architecture.Channels, Architecture.Height, Architecture.Width);
}
