namespace Stn.Datasets;

/// <summary>
/// Translated, cluttered images after the spatial transformer paper's cluttered MNIST (Jaderberg et al., 2015): each
/// object (a square source image) is placed whole at a random pixel position on a larger canvas, over random small
/// crops of other source images that a classifier must learn to ignore.
/// </summary>
public static class Clutter
{
    /// <summary>
    /// Composes one cluttered image per object, deterministically for a seed. Clutter and object are combined by their
    /// brighter pixel, so clutter never hides the object. The true box is the tight box of the object's own pixels;
    /// the distortion records the placement as a pure shift (angle 0, scale 1) in <see cref="RtsDistortion"/>'s convention.
    /// </summary>
    /// <param name="objects">Source images, each <paramref name="objectSide"/>² pixels, row-major; image i is the object of output i.</param>
    /// <param name="labels">Class of each object.</param>
    /// <param name="objectSide">Side of the source images.</param>
    /// <param name="seed">Seed of positions and clutter.</param>
    /// <param name="canvasSize">Side of the output images.</param>
    /// <param name="pieces">Clutter crops per image (0 for none).</param>
    /// <param name="pieceSide">Side of each clutter crop.</param>
    /// <param name="translate">False centres every object, for an upright, uncluttered oracle when <paramref name="pieces"/> is 0.</param>
    public static LabelledImages Compose(IReadOnlyList<float[]> objects, IReadOnlyList<int> labels, int objectSide, int seed,
        int canvasSize = 60, int pieces = 6, int pieceSide = 6, bool translate = true)
    {
        ArgumentNullException.ThrowIfNull(objects);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(objectSide);
        ArgumentOutOfRangeException.ThrowIfLessThan(canvasSize, objectSide);
        ArgumentOutOfRangeException.ThrowIfNegative(pieces);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(pieceSide);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(pieceSide, objectSide);
        if (labels.Count != objects.Count)
        {
            throw new ArgumentException($"{labels.Count} labels for {objects.Count} objects.", nameof(labels));
        }

        if (pieces > 0 && objects.Count < 2)
        {
            throw new ArgumentException("Clutter is cut from other objects, so it needs at least two.", nameof(objects));
        }

        int count = objects.Count, imageLength = canvasSize * canvasSize, sourceLength = objectSide * objectSide;
        var rng = new Random(seed);
        var pixels = new float[count * imageLength];
        var distortions = new RtsParameters[count];
        var boxes = new Box[count];
        for (int i = 0; i < count; i++)
        {
            if (objects[i].Length != sourceLength)
            {
                throw new ArgumentException($"Object {i} has {objects[i].Length} pixels, expected {objectSide}×{objectSide}.", nameof(objects));
            }

            var canvas = pixels.AsSpan(i * imageLength, imageLength);
            int x0 = translate ? rng.Next(canvasSize - objectSide + 1) : (canvasSize - objectSide) / 2;
            int y0 = translate ? rng.Next(canvasSize - objectSide + 1) : (canvasSize - objectSide) / 2;
            for (int p = 0; p < pieces; p++)
            {
                // Any object but this one, so the clutter is never a piece of the object itself.
                int other = rng.Next(count - 1);
                other += other >= i ? 1 : 0;
                int cropX = rng.Next(objectSide - pieceSide + 1), cropY = rng.Next(objectSide - pieceSide + 1);
                int atX = rng.Next(canvasSize - pieceSide + 1), atY = rng.Next(canvasSize - pieceSide + 1);
                Draw(canvas, canvasSize, objects[other], objectSide, cropX, cropY, pieceSide, atX, atY);
            }

            Draw(canvas, canvasSize, objects[i], objectSide, 0, 0, objectSide, x0, y0);
            var tight = Box.Tight(objects[i], objectSide, objectSide);
            boxes[i] = tight.Area > 0 ? tight.Offset(x0, y0) : tight;
            double centreShift = objectSide / 2.0 - canvasSize / 2.0;
            distortions[i] = new RtsParameters(0, 1, x0 + centreShift, y0 + centreShift);
        }

        return new LabelledImages(pixels, labels.ToArray(), count, 1, canvasSize, canvasSize, distortions, boxes);
    }

    /// <summary>Draws the <paramref name="side"/>² square of <paramref name="source"/> at (fromX, fromY) onto the canvas at (toX, toY), keeping the brighter pixel.</summary>
    private static void Draw(Span<float> canvas, int canvasSize, float[] source, int sourceSide, int fromX, int fromY, int side, int toX, int toY)
    {
        for (int y = 0; y < side; y++)
        {
            for (int x = 0; x < side; x++)
            {
                ref float target = ref canvas[(toY + y) * canvasSize + toX + x];
                target = Math.Max(target, source[(fromY + y) * sourceSide + fromX + x]);
            }
        }
    }
}
