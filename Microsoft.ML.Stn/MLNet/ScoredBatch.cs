using Microsoft.ML.Data;

namespace Microsoft.ML.Stn.MLNet;

/// <summary>
/// Pixel and result buffers for up to <see cref="Capacity"/> rows, filled by one forward pass, and the getters that
/// serve one row of the results. Allocated once per cursor or row, reused for every batch.
/// </summary>
internal sealed class ScoredBatch
{
    private readonly BatchScorer _scorer;
    private readonly int _classes;
    private readonly int _warpLength;
    private readonly int _rectifiedLength;
    private readonly float[] _probabilities;
    private readonly float[] _warp;
    private readonly float[]? _rectified;

    public ScoredBatch(BatchScorer scorer, int capacity, bool withRectified)
    {
        var a = scorer.Architecture;
        _scorer = scorer;
        _classes = a.ClassCount;
        _warpLength = a.WarpLength;
        _rectifiedLength = a.RectifiedPixelCount;
        Capacity = capacity;
        Pixels = new float[capacity * a.PixelCount];
        _probabilities = new float[capacity * _classes];
        _warp = new float[capacity * _warpLength];
        _rectified = withRectified ? new float[capacity * _rectifiedLength] : null;
    }

    public int Capacity { get; }

    /// <summary>Planar pixels of the rows to score, row after row.</summary>
    public float[] Pixels { get; }

    public Span<float> PixelsOf(int row) => Pixels.AsSpan(row * _scorer.Architecture.PixelCount, _scorer.Architecture.PixelCount);

    public void Score(int count) => _scorer.Score(Pixels, count, _probabilities, _warp, _rectified);

    /// <summary>A getter of added column <paramref name="output"/> (see <see cref="StnOutputColumns"/>) for the row
    /// that <paramref name="row"/> names when the getter is called.</summary>
    public Delegate Getter(int output, Func<int> row) => output switch
    {
        StnOutputColumns.PredictedLabel => (ValueGetter<uint>)((ref uint value) =>
            value = BatchScorer.PredictedKey(_probabilities.AsSpan(row() * _classes, _classes))),
        StnOutputColumns.Score => VectorGetter(_probabilities, _classes, row),
        StnOutputColumns.Warp => VectorGetter(_warp, _warpLength, row),
        _ => VectorGetter(_rectified!, _rectifiedLength, row),
    };

    /// <summary><see cref="Getter(int, Func{int})"/> for a consumer that asks for <typeparamref name="TValue"/>.</summary>
    public ValueGetter<TValue> Getter<TValue>(int output, Func<int> row, DataViewSchema.Column column) =>
        Getter(output, row) as ValueGetter<TValue> ?? throw RowErrors.WrongType(column, typeof(TValue));

    private static ValueGetter<VBuffer<float>> VectorGetter(float[] source, int length, Func<int> row) =>
        (ref VBuffer<float> value) =>
        {
            var editor = VBufferEditor.Create(ref value, length);
            source.AsSpan(row() * length, length).CopyTo(editor.Values);
            value = editor.Commit();
        };
}
