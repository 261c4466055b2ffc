using Microsoft.ML.Data;
using Microsoft.ML.Model.OnnxConverter;
using Microsoft.ML.Runtime;
using Microsoft.ML.Stn.Onnx;

namespace Microsoft.ML.Stn.MLNet;

/// <summary>
/// The lazy result of <c>Transform</c>: every input column plus the added ones. A cursor reads input rows in batches,
/// scores each batch with one forward pass, then serves its rows; input columns that the consumer asked for are
/// buffered with the batch so they stay in step. A cursor that needs no added column just passes the input through.
/// </summary>
internal sealed class ScoredDataView : IDataView, ITransformCanSaveOnnx
{
    private readonly IDataView _input;
    private readonly ImageInput _image;
    private readonly StnOutputColumns _outputs;
    private readonly BatchScorer _scorer;
    private readonly int _batchSize;

    public ScoredDataView(IDataView input, ImageInput image, StnOutputColumns outputs, BatchScorer scorer, int batchSize)
    {
        _input = input;
        _image = image;
        _outputs = outputs;
        _scorer = scorer;
        _batchSize = batchSize;
        Schema = outputs.OutputSchema(input.Schema);
    }

    public bool CanShuffle => _input.CanShuffle;

    public DataViewSchema Schema { get; }

    public long? GetRowCount() => _input.GetRowCount();

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
    {
        var needed = columnsNeeded.ToList();
        var active = new bool[_outputs.Columns.Length];
        foreach (var column in needed.Where(c => c.Index >= _input.Schema.Count))
            active[column.Index - _input.Schema.Count] = true;
        bool scoring = active.Any(a => a);
        var inputColumns = needed.Where(c => c.Index < _input.Schema.Count).Select(c => _input.Schema[c.Index]).ToList();
        if (scoring && !inputColumns.Contains(_image.Column))
            inputColumns.Add(_image.Column);
        var cursor = _input.GetRowCursor(inputColumns, rand);
        return scoring ? new BatchCursor(this, cursor, needed, active) : new PassThroughCursor(Schema, cursor);
    }

    // ONNX export: ML.NET's converter walks the chain back through IDataTransform.Source and asks each view to save itself.
    IDataView IDataTransform.Source => _input;

    bool ICanSaveOnnx.CanSaveOnnx(OnnxContext ctx) => true;

    void ISaveAsOnnx.SaveAsOnnx(OnnxContext ctx) => StnOnnxExport.Save(ctx, _image, _outputs, _scorer.Network);

    void ICanSaveModel.Save(ModelSaveContext ctx) =>
        throw new NotSupportedException("Save the StnClassify transformer (mlContext.Model.Save), not its output view.");

    /// <summary>One cursor: batching is sequential by nature, and a caller may always receive fewer than it asks.</summary>
    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
        new[] { GetRowCursor(columnsNeeded, rand) };

    private sealed class PassThroughCursor : DataViewRowCursor
    {
        private readonly DataViewRowCursor _input;

        public PassThroughCursor(DataViewSchema schema, DataViewRowCursor input)
        {
            Schema = schema;
            _input = input;
        }

        public override DataViewSchema Schema { get; }

        public override long Position => _input.Position;

        public override long Batch => _input.Batch;

        public override bool MoveNext() => _input.MoveNext();

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column) =>
            column.Index < _input.Schema.Count
                ? _input.GetGetter<TValue>(_input.Schema[column.Index])
                : throw RowErrors.NotRequested(column);

        public override ValueGetter<DataViewRowId> GetIdGetter() => _input.GetIdGetter();

        public override bool IsColumnActive(DataViewSchema.Column column) =>
            column.Index < _input.Schema.Count && _input.IsColumnActive(_input.Schema[column.Index]);

        protected override void Dispose(bool disposing)
        {
            if (disposing) _input.Dispose();
            base.Dispose(disposing);
        }
    }

    private sealed class BatchCursor : DataViewRowCursor
    {
        private readonly ScoredDataView _parent;
        private readonly DataViewRowCursor _input;
        private readonly ImageInput.PixelReader _pixels;
        private readonly ScoredBatch _batch;
        private readonly bool[] _active;
        private readonly ColumnBuffer?[] _buffers;
        private readonly ValueGetter<DataViewRowId> _inputId;
        private readonly DataViewRowId[] _ids;
        private int _count;
        private int _row = -1;
        private long _position = -1;

        public BatchCursor(ScoredDataView parent, DataViewRowCursor input, IReadOnlyList<DataViewSchema.Column> needed, bool[] active)
        {
            _parent = parent;
            _input = input;
            _active = active;
            _pixels = parent._image.CreateReader(input);
            int capacity = parent._batchSize;
            _batch = new ScoredBatch(parent._scorer, parent._outputs, capacity, i => active[i]);
            _buffers = new ColumnBuffer?[input.Schema.Count];
            foreach (var column in needed.Where(c => c.Index < input.Schema.Count))
                _buffers[column.Index] = ColumnBuffer.Create(input, input.Schema[column.Index], capacity);
            _inputId = input.GetIdGetter();
            _ids = new DataViewRowId[capacity];
        }

        public override DataViewSchema Schema => _parent.Schema;

        public override long Position => _position;

        public override long Batch => 0;

        public override bool MoveNext()
        {
            if (++_row >= _count)
            {
                if (!Fill())
                {
                    _position = -1;
                    return false;
                }
                _row = 0;
            }
            _position++;
            return true;
        }

        private bool Fill()
        {
            _count = 0;
            while (_count < _batch.Capacity && _input.MoveNext())
            {
                _pixels.Read(_batch.PixelsOf(_count));
                foreach (var buffer in _buffers) buffer?.Fill(_count);
                _inputId(ref _ids[_count]);
                _count++;
            }
            if (_count == 0) return false;
            _batch.Score(_count);
            return true;
        }

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            if (column.Index < _input.Schema.Count)
            {
                var buffer = _buffers[column.Index]
                    ?? throw RowErrors.NotRequested(column);
                return buffer.Getter<TValue>(CurrentRow, column);
            }
            int output = column.Index - _input.Schema.Count;
            if (!_active[output])
                throw RowErrors.NotRequested(column);
            return _batch.Getter(output, CurrentRow) as ValueGetter<TValue> ?? throw RowErrors.WrongType(column, typeof(TValue));
        }

        public override ValueGetter<DataViewRowId> GetIdGetter() => (ref DataViewRowId id) => id = _ids[CurrentRow()];

        /// <summary>The current row's index in the batch; ML.NET's cursors refuse reads before the first row and after the last.</summary>
        private int CurrentRow() => _position >= 0
            ? _row
            : throw new InvalidOperationException("The cursor is not on a row: call MoveNext first, and read nothing after it returns false.");

        public override bool IsColumnActive(DataViewSchema.Column column) =>
            column.Index < _input.Schema.Count ? _buffers[column.Index] is not null : _active[column.Index - _input.Schema.Count];

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _pixels.Dispose();
                _input.Dispose();
            }
            base.Dispose(disposing);
        }
    }
}
