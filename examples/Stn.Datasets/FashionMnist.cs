namespace Stn.Datasets;

/// <summary>Locating and preparing the Fashion-MNIST data set.</summary>
public static class FashionMnist
{
    /// <summary>Where Debian's dataset-fashion-mnist package installs the files.</summary>
    public const string DefaultDirectory = "/usr/share/datasets/fashion-mnist";

    /// <summary>Class names, indexed by label.</summary>
    public static string[] ClassNames =>
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    /// <summary>
    /// Finds the four IDX files in <paramref name="directory"/> under their usual names (with "-idx" or ".idx", plain
    /// or with ".gz"). The outputs are empty strings when the result is false.
    /// </summary>
    /// <param name="directory">Folder to look in.</param>
    /// <param name="trainImages">Path of the training images.</param>
    /// <param name="trainLabels">Path of the training labels.</param>
    /// <param name="testImages">Path of the test images.</param>
    /// <param name="testLabels">Path of the test labels.</param>
    /// <returns>True when all four files exist.</returns>
    public static bool TryFind(string directory, out string trainImages, out string trainLabels, out string testImages, out string testLabels)
    {
        trainImages = Find(directory, "train-images", "idx3-ubyte");
        trainLabels = Find(directory, "train-labels", "idx1-ubyte");
        testImages = Find(directory, "t10k-images", "idx3-ubyte");
        testLabels = Find(directory, "t10k-labels", "idx1-ubyte");
        if (trainImages.Length > 0 && trainLabels.Length > 0 && testImages.Length > 0 && testLabels.Length > 0)
        {
            return true;
        }

        trainImages = trainLabels = testImages = testLabels = string.Empty;
        return false;
    }

    /// <summary>
    /// Turns the first <paramref name="take"/> images into randomly rotated, scaled and shifted copies centred on a
    /// larger canvas, deterministically for a seed. Each image's true box is the tight box of the distorted garment.
    /// </summary>
    /// <param name="pixels">Images as read by <see cref="Idx.ReadImages"/>.</param>
    /// <param name="labels">Labels as read by <see cref="Idx.ReadLabels"/>.</param>
    /// <param name="rows">Rows per source image.</param>
    /// <param name="cols">Columns per source image.</param>
    /// <param name="take">Number of leading images to use.</param>
    /// <param name="seed">Seed of the distortions.</param>
    /// <param name="canvasSize">Side of the output images in pixels.</param>
    /// <param name="maxAngleDegrees">Rotation is uniform in [−max, max].</param>
    /// <param name="minScale">Lower bound of the scale.</param>
    /// <param name="maxScale">Upper bound of the scale.</param>
    /// <param name="maxShiftPixels">Each shift is uniform in [−max, max].</param>
    public static LabelledImages DistortedSubset(
        byte[] pixels,
        byte[] labels,
        int rows,
        int cols,
        int take,
        int seed,
        int canvasSize = 42,
        double maxAngleDegrees = 45,
        double minScale = 0.7,
        double maxScale = 1.2,
        double maxShiftPixels = 7)
    {
        int sourceLength = CheckSource(pixels, labels, rows, cols, take);

        var rng = new Random(seed);
        int imageLength = canvasSize * canvasSize;
        var output = new float[take * imageLength];
        var outLabels = new int[take];
        var distortions = new RtsParameters[take];
        var boxes = new Box[take];
        var source = new float[sourceLength];
        for (int i = 0; i < take; i++)
        {
            for (int j = 0; j < sourceLength; j++)
            {
                source[j] = pixels[i * sourceLength + j];
            }

            distortions[i] = RtsDistortion.Sample(rng, maxAngleDegrees, minScale, maxScale, maxShiftPixels);
            var image = RtsDistortion.Apply(source, rows, cols, canvasSize, canvasSize, distortions[i]);
            image.CopyTo(output, i * imageLength);
            boxes[i] = Box.Tight(image, canvasSize, canvasSize);
            outLabels[i] = labels[i];
        }

        return new LabelledImages(output, outLabels, take, 1, canvasSize, canvasSize, distortions, boxes);
    }

    /// <summary>
    /// The first <paramref name="take"/> garments, each whole at a random position on a larger canvas over random crops
    /// of other garments (the spatial transformer paper's translated cluttered MNIST, with garments), deterministically
    /// for a seed; see <see cref="Clutter.Compose"/>.
    /// </summary>
    /// <param name="pixels">Images as read by <see cref="Idx.ReadImages"/>.</param>
    /// <param name="labels">Labels as read by <see cref="Idx.ReadLabels"/>.</param>
    /// <param name="side">Rows and columns per source image (square).</param>
    /// <param name="take">Number of leading images to use.</param>
    /// <param name="seed">Seed of positions and clutter.</param>
    /// <param name="canvasSize">Side of the output images in pixels.</param>
    /// <param name="pieces">Clutter crops per image.</param>
    /// <param name="pieceSide">Side of each clutter crop.</param>
    /// <param name="translate">False centres every garment (with <paramref name="pieces"/> 0: the oracle's view).</param>
    public static LabelledImages ClutteredSubset(byte[] pixels, byte[] labels, int side, int take, int seed,
        int canvasSize = 60, int pieces = 6, int pieceSide = 6, bool translate = true)
    {
        int sourceLength = CheckSource(pixels, labels, side, side, take);

        var objects = new float[take][];
        for (int i = 0; i < take; i++)
        {
            objects[i] = new float[sourceLength];
            for (int j = 0; j < sourceLength; j++)
            {
                objects[i][j] = pixels[i * sourceLength + j];
            }
        }

        return Clutter.Compose(objects, labels.Take(take).Select(l => (int)l).ToArray(), side, seed, canvasSize, pieces, pieceSide, translate);
    }

    private static string Find(string directory, string stem, string kind)
    {
        foreach (var separator in new[] { "-", "." })
        {
            foreach (var suffix in new[] { "", ".gz" })
            {
                var path = Path.Combine(directory, stem + separator + kind + suffix);
                if (File.Exists(path))
                {
                    return path;
                }
            }
        }

        return string.Empty;
    }

    /// <summary>Throws unless <paramref name="take"/> images of rows×cols and their labels are there; returns rows×cols.</summary>
    private static int CheckSource(byte[] pixels, byte[] labels, int rows, int cols, int take)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rows);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(cols);
        ArgumentOutOfRangeException.ThrowIfNegative(take);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(take, labels.Length);
        int sourceLength = rows * cols;
        if ((long)take * sourceLength > pixels.Length)
        {
            throw new ArgumentException($"{take} images of {rows}×{cols} need {(long)take * sourceLength} pixels, got {pixels.Length}.", nameof(pixels));
        }

        return sourceLength;
    }
}
