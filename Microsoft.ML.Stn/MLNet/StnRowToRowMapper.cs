using Microsoft.ML.Data;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.Stn.MLNet;

/// <summary>
/// Row-at-a-time mapping for <c>PredictionEngine</c>: the added columns of a row are computed with one forward pass
/// of a single image the first time a getter asks for them at a new input position.
/// </summary>
internal sealed class StnRowToRowMapper : IRowToRowMapper
{
    private readonly ImageInput _image;
    private readonly StnOutputColumns _outputs;
    private readonly BatchScorer _scorer;

    public StnRowToRowMapper(DataViewSchema inputSchema, ImageInput image, StnOutputColumns outputs, BatchScorer scorer)
    {
        InputSchema = inputSchema;
        OutputSchema = outputs.OutputSchema(inputSchema);
        _image = image;
        _outputs = outputs;
        _scorer = scorer;
    }

    public DataViewSchema InputSchema { get; }

    public DataViewSchema OutputSchema { get; }

    public IEnumerable<DataViewSchema.Column> GetDependencies(IEnumerable<DataViewSchema.Column> dependingColumns)
    {
        var columns = dependingColumns.ToList();
        var needed = columns.Where(c => c.Index < InputSchema.Count).Select(c => InputSchema[c.Index]).ToList();
        if (columns.Any(c => c.Index >= InputSchema.Count) && !needed.Contains(_image.Column))
            needed.Add(_image.Column);
        return needed;
    }

    public DataViewRow GetRow(DataViewRow input, IEnumerable<DataViewSchema.Column> activeColumns) =>
        new MappedRow(this, input, _outputs.Active(InputSchema, activeColumns));

    private sealed class MappedRow : DataViewRow
    {
        private readonly StnRowToRowMapper _parent;
        private readonly DataViewRow _input;
        private readonly bool[] _active;
        private readonly ScoredBatch? _batch;
        private readonly Action<Span<float>>? _readPixels;
        private long _scoredPosition = -1;

        public MappedRow(StnRowToRowMapper parent, DataViewRow input, bool[] active)
        {
            _parent = parent;
            _input = input;
            _active = active;
            if (active.Any(a => a))
            {
                _batch = new ScoredBatch(parent._scorer, 1, active.Length > StnOutputColumns.Rectified && active[StnOutputColumns.Rectified]);
                _readPixels = parent._image.CreateReader(input);
            }
        }

        public override DataViewSchema Schema => _parent.OutputSchema;

        public override long Position => _input.Position;

        public override long Batch => _input.Batch;

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            int inputCount = _parent.InputSchema.Count;
            if (column.Index < inputCount)
                return _input.GetGetter<TValue>(_input.Schema[column.Index]);
            int output = column.Index - inputCount;
            if (!_active[output] || _batch is null)
                throw RowErrors.NotRequested(column);
            return _batch.Getter<TValue>(output, ScoreCurrentRow, column);
        }

        private int ScoreCurrentRow()
        {
            if (_scoredPosition != _input.Position || _input.Position < 0)
            {
                _readPixels!(_batch!.PixelsOf(0));
                _batch.Score(1);
                _scoredPosition = _input.Position;
            }
            return 0;
        }

        public override ValueGetter<DataViewRowId> GetIdGetter() => _input.GetIdGetter();

        public override bool IsColumnActive(DataViewSchema.Column column) =>
            column.Index < _parent.InputSchema.Count
                ? _input.IsColumnActive(_input.Schema[column.Index])
                : _active[column.Index - _parent.InputSchema.Count];
    }
}
