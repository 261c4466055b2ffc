namespace Stn.Datasets;

/// <summary>Deterministic, class-balanced sets of randomly distorted <see cref="Glyphs"/>.</summary>
public static class GlyphDataset
{
    /// <summary>
    /// Generates <paramref name="count"/> glyph images, classes balanced (i mod 10) and shuffled, each with its own
    /// uniformly sampled rotation, scale and shift; the same arguments always give the same data. Each image's true
    /// box is the tight box of the distorted glyph.
    /// </summary>
    /// <param name="count">Number of images.</param>
    /// <param name="seed">Seed of the shuffle and the distortions.</param>
    /// <param name="canvasSize">Side of the output images in pixels.</param>
    /// <param name="glyphSize">Side of the upright glyph before distortion.</param>
    /// <param name="maxAngleDegrees">Rotation is uniform in [−max, max].</param>
    /// <param name="minScale">Lower bound of the scale.</param>
    /// <param name="maxScale">Upper bound of the scale.</param>
    /// <param name="maxShiftPixels">Each shift is uniform in [−max, max]; the default keeps a 1.3× glyph mostly on a 32-pixel canvas.</param>
    public static LabelledImages Generate(
        int count,
        int seed,
        int canvasSize = 32,
        int glyphSize = 16,
        double maxAngleDegrees = 60,
        double minScale = 0.7,
        double maxScale = 1.3,
        double maxShiftPixels = 6)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(canvasSize);

        var rng = new Random(seed);
        var labels = BalancedShuffledLabels(count, rng);
        var upright = Glyphs.RenderAll(glyphSize);
        int imageLength = canvasSize * canvasSize;
        var pixels = new float[count * imageLength];
        var distortions = new RtsParameters[count];
        var boxes = new Box[count];
        for (int i = 0; i < count; i++)
        {
            distortions[i] = RtsDistortion.Sample(rng, maxAngleDegrees, minScale, maxScale, maxShiftPixels);
            var image = RtsDistortion.Apply(upright[labels[i]], glyphSize, glyphSize, canvasSize, canvasSize, distortions[i]);
            image.CopyTo(pixels, i * imageLength);
            boxes[i] = Box.Tight(image, canvasSize, canvasSize);
        }

        return new LabelledImages(pixels, labels, count, 1, canvasSize, canvasSize, distortions, boxes);
    }

    /// <summary>
    /// Generates <paramref name="count"/> upright glyphs, classes balanced and shuffled, each whole at a random position
    /// on a larger canvas over random crops of other glyphs, as <see cref="Clutter.Compose"/> does with garments.
    /// </summary>
    /// <param name="count">Number of images.</param>
    /// <param name="seed">Seed of the shuffle, positions and clutter.</param>
    /// <param name="canvasSize">Side of the output images in pixels.</param>
    /// <param name="glyphSize">Side of the square each glyph is drawn on.</param>
    /// <param name="pieces">Clutter crops per image.</param>
    /// <param name="pieceSide">Side of each clutter crop.</param>
    /// <param name="translate">False centres every glyph (with <paramref name="pieces"/> 0: the oracle's view).</param>
    public static LabelledImages GenerateCluttered(int count, int seed, int canvasSize = 60, int glyphSize = 28,
        int pieces = 6, int pieceSide = 6, bool translate = true)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var rng = new Random(seed);
        var labels = BalancedShuffledLabels(count, rng);
        var upright = Glyphs.RenderAll(glyphSize);
        return Clutter.Compose(labels.Select(l => upright[l]).ToArray(), labels, glyphSize, rng.Next(), canvasSize, pieces, pieceSide, translate);
    }

    /// <summary>Class i mod the class count for image i, then shuffled: balanced classes in random order.</summary>
    private static int[] BalancedShuffledLabels(int count, Random rng)
    {
        var labels = new int[count];
        for (int i = 0; i < count; i++)
        {
            labels[i] = i % Glyphs.ClassCount;
        }

        rng.Shuffle(labels);
        return labels;
    }
}
