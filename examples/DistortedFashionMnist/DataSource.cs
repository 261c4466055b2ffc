using Stn.Datasets;

namespace DistortedFashionMnist;

/// <summary>
/// Fashion-MNIST (or generated glyphs when it is not installed), per seed either RTS-distorted (rotated ±45°, scaled
/// 0.7–1.2 and shifted on 42×42) or translated and cluttered (whole at a random position on 60×60 over 6×6 crops of
/// other images), or for the oracle the same images centred, upright and without clutter, or for the perfect warp the
/// distorted images warped back by their exact inverse.
/// </summary>
internal sealed class DataSource
{
    private const int GlyphSide = 28;
    private const double MaxAngle = 45, MinScale = 0.7, MaxScale = 1.2, MaxShift = 7;
    private readonly (byte[] Pixels, byte[] Labels, int Count)? _train, _test;
    private readonly int _rows, _cols;

    private DataSource(string name, Func<int, string> className, bool cluttered,
        (byte[], byte[], int)? train = null, (byte[], byte[], int)? test = null, int rows = 0, int cols = 0)
    {
        Name = name;
        ClassName = className;
        Cluttered = cluttered;
        _train = train;
        _test = test;
        _rows = rows;
        _cols = cols;
    }

    public string Name { get; }

    public Func<int, string> ClassName { get; }

    /// <summary>Translated and cluttered rather than RTS-distorted.</summary>
    public bool Cluttered { get; }

    /// <summary>Side of the images.</summary>
    public int Canvas => Cluttered ? 60 : 42;

    /// <summary>What the images show, for the printed header.</summary>
    public string Description => Cluttered
        ? "each whole at a random position on a 60×60 canvas over six 6×6 crops of other images; the oracle sees the same " +
          "images centred and without clutter"
        : "rotated ±45°, scaled 0.7–1.2 and shifted on a 42×42 canvas; the oracle sees the same images undistorted " +
          "(centred, upright, scale 1)";

    public static DataSource Load(CommandLine o)
    {
        bool cluttered = o.Data == "cluttered";
        if (!FashionMnist.TryFind(o.DataDirectory, out var trainImages, out var trainLabels, out var testImages, out var testLabels))
        {
            Console.WriteLine($"Fashion-MNIST not found in {o.DataDirectory} (apt install dataset-fashion-mnist); using generated glyphs instead.");
            return new DataSource("glyphs", Glyphs.Name, cluttered);
        }

        var (trainPixels, trainCount, rows, cols) = Idx.ReadImages(trainImages);
        var (testPixels, testCount, _, _) = Idx.ReadImages(testImages);
        if (o.Train + o.Validation > trainCount || o.Test > testCount)
        {
            throw new ArgumentException(
                $"Fashion-MNIST has {trainCount} training and {testCount} test images; asked for {o.Train + o.Validation} and {o.Test}.");
        }

        var names = FashionMnist.ClassNames;
        return new DataSource("Fashion-MNIST", c => names[c], cluttered,
            (trainPixels, Idx.ReadLabels(trainLabels), trainCount), (testPixels, Idx.ReadLabels(testLabels), testCount), rows, cols);
    }

    /// <summary>The training pool and test images of a seed, distorted (training with <paramref name="seed"/>, test with seed + 1).</summary>
    public (LabelledImages Pool, LabelledImages Test) Distorted(int seed, int pool, int test) =>
        (Make(_train, pool, seed, upright: false), Make(_test, test, seed + 1, upright: false));

    /// <summary>The same images as <see cref="Distorted"/>, undistorted: centred, upright, at scale 1 and without clutter.</summary>
    public (LabelledImages Pool, LabelledImages Test) Upright(int seed, int pool, int test) =>
        (Make(_train, pool, seed, upright: true), Make(_test, test, seed + 1, upright: true));

    /// <summary>
    /// Images of <see cref="Distorted"/> warped back by the exact inverse of each one's distortion (for cluttered
    /// images, the shift: the clutter around the object stays): what a perfect warp could show the classifier.
    /// </summary>
    public static (LabelledImages Pool, LabelledImages Test) Undone(LabelledImages pool, LabelledImages test) => (Undo(pool), Undo(test));

    private static LabelledImages Undo(LabelledImages images)
    {
        var pixels = new float[images.Pixels.Length];
        for (int i = 0; i < images.Count; i++)
        {
            RtsDistortion.Undo(images.Image(i), images.Height, images.Width, images.Distortions[i]).CopyTo(pixels, i * images.ImageLength);
        }

        return images with { Pixels = pixels };
    }

    private LabelledImages Make((byte[] Pixels, byte[] Labels, int Count)? source, int count, int seed, bool upright)
    {
        if (Cluttered)
        {
            int pieces = upright ? 0 : 6;
            return source is { } c
                ? FashionMnist.ClutteredSubset(c.Pixels, c.Labels, _rows, count, seed, Canvas, pieces, translate: !upright)
                : GlyphDataset.GenerateCluttered(count, seed, Canvas, GlyphSide, pieces, translate: !upright);
        }

        var (maxAngle, minScale, maxScale, maxShift) = upright ? (0, 1, 1, 0) : (MaxAngle, MinScale, MaxScale, MaxShift);
        return source is { } s
            ? FashionMnist.DistortedSubset(s.Pixels, s.Labels, _rows, _cols, count, seed, Canvas, maxAngle, minScale, maxScale, maxShift)
            : GlyphDataset.Generate(count, seed, Canvas, GlyphSide, maxAngle, minScale, maxScale, maxShift);
    }
}
