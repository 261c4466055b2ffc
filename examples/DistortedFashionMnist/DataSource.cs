using Stn.Datasets;

namespace DistortedFashionMnist;

/// <summary>
/// Fashion-MNIST (or generated glyphs when it is not installed), distorted per seed: rotated ±45°, scaled 0.7–1.2 and
/// shifted, or upright (the identity distortion) for the oracle.
/// </summary>
internal sealed class DataSource
{
    private const int GlyphSide = 28;
    private const double MaxAngle = 45, MinScale = 0.7, MaxScale = 1.2, MaxShift = 7;
    private readonly int _canvas;
    private readonly (byte[] Pixels, byte[] Labels, int Count)? _train, _test;
    private readonly int _rows, _cols;

    private DataSource(string name, Func<int, string> className, int canvas,
        (byte[], byte[], int)? train = null, (byte[], byte[], int)? test = null, int rows = 0, int cols = 0)
    {
        Name = name;
        ClassName = className;
        _canvas = canvas;
        _train = train;
        _test = test;
        _rows = rows;
        _cols = cols;
    }

    public string Name { get; }

    public Func<int, string> ClassName { get; }

    public static DataSource Load(CommandLine o, int canvas)
    {
        if (!FashionMnist.TryFind(o.DataDirectory, out var trainImages, out var trainLabels, out var testImages, out var testLabels))
        {
            Console.WriteLine($"Fashion-MNIST not found in {o.DataDirectory} (apt install dataset-fashion-mnist); using generated glyphs instead.");
            return new DataSource("glyphs", Glyphs.Name, canvas);
        }

        var (trainPixels, trainCount, rows, cols) = Idx.ReadImages(trainImages);
        var (testPixels, testCount, _, _) = Idx.ReadImages(testImages);
        if (o.Train + o.Validation > trainCount || o.Test > testCount)
        {
            throw new ArgumentException(
                $"Fashion-MNIST has {trainCount} training and {testCount} test images; asked for {o.Train + o.Validation} and {o.Test}.");
        }

        var names = FashionMnist.ClassNames;
        return new DataSource("Fashion-MNIST", c => names[c], canvas,
            (trainPixels, Idx.ReadLabels(trainLabels), trainCount), (testPixels, Idx.ReadLabels(testLabels), testCount), rows, cols);
    }

    /// <summary>The training pool and test images of a seed, distorted (training with <paramref name="seed"/>, test with seed + 1).</summary>
    public (LabelledImages Pool, LabelledImages Test) Distorted(int seed, int pool, int test) =>
        (Make(_train, pool, seed, MaxAngle, MinScale, MaxScale, MaxShift), Make(_test, test, seed + 1, MaxAngle, MinScale, MaxScale, MaxShift));

    /// <summary>The same images as <see cref="Distorted"/>, undistorted: centred, upright and at scale 1.</summary>
    public (LabelledImages Pool, LabelledImages Test) Upright(int seed, int pool, int test) =>
        (Make(_train, pool, seed, 0, 1, 1, 0), Make(_test, test, seed + 1, 0, 1, 1, 0));

    private LabelledImages Make((byte[] Pixels, byte[] Labels, int Count)? source, int count, int seed,
        double maxAngle, double minScale, double maxScale, double maxShift) =>
        source is { } s
            ? FashionMnist.DistortedSubset(s.Pixels, s.Labels, _rows, _cols, count, seed, _canvas, maxAngle, minScale, maxScale, maxShift)
            : GlyphDataset.Generate(count, seed, _canvas, GlyphSide, maxAngle, minScale, maxScale, maxShift);
}
