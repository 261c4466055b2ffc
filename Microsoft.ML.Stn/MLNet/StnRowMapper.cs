using Microsoft.ML.Data;

namespace Microsoft.ML.Stn.MLNet;

/// <summary>
/// The single-row path (<c>PredictionEngine</c>, <c>GetRowToRowMapper</c>), served through ML.NET's own
/// <see cref="RowToRowMapperTransform"/>: a row's added columns come from one forward pass of its image, made the first
/// time a getter asks for them at a new input position.
/// </summary>
internal sealed class StnRowMapper : IRowMapper
{
    private readonly StnClassifyTransformer _parent;
    private readonly ImageInput _image;

    public StnRowMapper(StnClassifyTransformer parent, DataViewSchema inputSchema, ImageInput image)
    {
        _parent = parent;
        InputSchema = inputSchema;
        _image = image;
    }

    public DataViewSchema InputSchema { get; }

    public DataViewSchema.DetachedColumn[] GetOutputColumns() => _parent.Outputs.Columns;

    public Func<int, bool> GetDependencies(Func<int, bool> activeOutput)
    {
        bool scoring = Enumerable.Range(0, _parent.Outputs.Columns.Length).Any(activeOutput);
        return column => scoring && column == _image.Column.Index;
    }

    public Delegate[] CreateGetters(DataViewRow input, Func<int, bool> activeOutput, out Action? disposer)
    {
        disposer = null;
        var getters = new Delegate[_parent.Outputs.Columns.Length];
        if (!Enumerable.Range(0, getters.Length).Any(activeOutput))
            return getters;
        var batch = new ScoredBatch(_parent.Scorer, _parent.Outputs, 1, activeOutput);
        var pixels = _image.CreateReader(input);
        disposer = pixels.Dispose;
        long scoredPosition = -1;
        int ScoreCurrentRow()
        {
            if (scoredPosition != input.Position || input.Position < 0)
            {
                pixels.Read(batch.PixelsOf(0));
                batch.Score(1);
                scoredPosition = input.Position;
            }
            return 0;
        }
        for (int i = 0; i < getters.Length; i++)
            if (activeOutput(i)) getters[i] = batch.Getter(i, ScoreCurrentRow);
        return getters;
    }

    public ITransformer GetTransformer() => _parent;

    void ICanSaveModel.Save(ModelSaveContext ctx) => ((ICanSaveModel)_parent).Save(ctx);
}
