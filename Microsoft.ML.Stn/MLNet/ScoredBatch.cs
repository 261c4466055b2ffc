using Microsoft.ML.Data;

namespace Microsoft.ML.Stn.MLNet;

/// <summary>
/// Pixel and result buffers for up to <see cref="Capacity"/> rows, filled by one forward pass, and the getters that
/// serve one row of the results. Allocated once per cursor or row, reused for every batch; a bounding box or rectified
/// image nobody asked for gets no buffer and is not copied back (the box is not computed at all).
/// </summary>
internal sealed class ScoredBatch
{
    private readonly StnOutputColumns _outputs;
    private readonly int _pixelCount;

    public ScoredBatch(BatchScorer scorer, StnOutputColumns outputs, int capacity, Func<int, bool> activeOutput)
    {
        var a = scorer.Architecture;
        Scorer = scorer;
        _outputs = outputs;
        _pixelCount = a.PixelCount;
        Capacity = capacity;
        Pixels = new float[capacity * a.PixelCount];
        Probabilities = new float[capacity * a.ClassCount];
        Theta = new float[capacity * a.ThetaLength];
        if (outputs.IsActive(StnOutput.BoundingBox, activeOutput))
            BoundingBox = new float[capacity * a.BoundingBoxesLength];
        if (outputs.IsActive(StnOutput.RectifiedImage, activeOutput))
            RectifiedImage = new float[capacity * a.RectifiedImageLength];
    }

    public BatchScorer Scorer { get; }

    public int Capacity { get; }

    /// <summary>Planar pixels of the rows to score, row after row.</summary>
    public float[] Pixels { get; }

    public float[] Probabilities { get; }

    public float[] Theta { get; }

    public float[]? BoundingBox { get; }

    public float[]? RectifiedImage { get; }

    public Span<float> PixelsOf(int row) => Pixels.AsSpan(row * _pixelCount, _pixelCount);

    public void Score(int count) => Scorer.Score(this, count);

    /// <summary>A getter of added column <paramref name="output"/> for the row that <paramref name="row"/> names
    /// when the getter is called.</summary>
    public Delegate Getter(int output, Func<int> row)
    {
        int length = _outputs.Columns[output].Type.GetValueCount(), classes = Scorer.Architecture.ClassCount;
        return _outputs.Kinds[output] switch
        {
            StnOutput.PredictedLabel => (ValueGetter<uint>)((ref uint value) =>
                value = BatchScorer.PredictedKey(Probabilities.AsSpan(row() * classes, classes))),
            StnOutput.Score => VectorGetter(Probabilities, length, row),
            StnOutput.Theta => VectorGetter(Theta, length, row),
            StnOutput.BoundingBox => VectorGetter(BoundingBox!, length, row),
            _ => VectorGetter(RectifiedImage!, length, row),
        };
    }

    private static ValueGetter<VBuffer<float>> VectorGetter(float[] source, int length, Func<int> row) =>
        (ref VBuffer<float> value) =>
        {
            var editor = VBufferEditor.Create(ref value, length);
            source.AsSpan(row() * length, length).CopyTo(editor.Values);
            value = editor.Commit();
        };
}
