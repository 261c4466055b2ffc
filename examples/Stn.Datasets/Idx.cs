using System.Buffers.Binary;
using System.IO.Compression;

namespace Stn.Datasets;

/// <summary>Reader of the IDX format used by MNIST and Fashion-MNIST, plain or gzip-compressed.</summary>
public static class Idx
{
    /// <summary>Magic number of an unsigned-byte, three-dimensional (images) IDX file.</summary>
    public const int ImagesMagic = 0x00000803;

    /// <summary>Magic number of an unsigned-byte, one-dimensional (labels) IDX file.</summary>
    public const int LabelsMagic = 0x00000801;

    /// <summary>Reads an image file.</summary>
    /// <param name="path">A .idx3-ubyte file, optionally gzipped.</param>
    /// <returns>Count×Rows×Cols bytes, row-major, and the dimensions.</returns>
    /// <exception cref="InvalidDataException">The magic number is wrong, a dimension is invalid or the file is truncated.</exception>
    public static (byte[] Pixels, int Count, int Rows, int Cols) ReadImages(string path)
    {
        using var stream = Open(path);
        CheckMagic(stream, ImagesMagic, path);
        var header = ReadExactly(stream, 12, path, "header");
        int count = Dimension(header, 0, path);
        int rows = Dimension(header, 4, path);
        int cols = Dimension(header, 8, path);
        long length = (long)count * rows * cols;
        if (length > Array.MaxLength)
        {
            throw new InvalidDataException($"{path}: {count}×{rows}×{cols} images are too large to load into one array.");
        }

        return (ReadExactly(stream, (int)length, path, "pixel data"), count, rows, cols);
    }

    /// <summary>Reads a label file.</summary>
    /// <param name="path">A .idx1-ubyte file, optionally gzipped.</param>
    /// <returns>One byte per label.</returns>
    /// <exception cref="InvalidDataException">The magic number is wrong, the count is invalid or the file is truncated.</exception>
    public static byte[] ReadLabels(string path)
    {
        using var stream = Open(path);
        CheckMagic(stream, LabelsMagic, path);
        int count = Dimension(ReadExactly(stream, 4, path, "header"), 0, path);
        return ReadExactly(stream, count, path, "label data");
    }

    private static Stream Open(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var file = File.OpenRead(path);
        Span<byte> signature = stackalloc byte[2];
        int read = file.ReadAtLeast(signature, 2, throwOnEndOfStream: false);
        file.Position = 0;
        return read == 2 && signature[0] == 0x1f && signature[1] == 0x8b ? new GZipStream(file, CompressionMode.Decompress) : file;
    }

    /// <summary>Checks the magic number before the rest of the header, so a file of the other kind is reported as such.</summary>
    private static void CheckMagic(Stream stream, int expected, string path)
    {
        int magic = BinaryPrimitives.ReadInt32BigEndian(ReadExactly(stream, 4, path, "magic number"));
        if (magic != expected)
        {
            throw new InvalidDataException($"{path}: IDX magic number is 0x{magic:X8}, expected 0x{expected:X8}.");
        }
    }

    private static int Dimension(byte[] header, int offset, string path)
    {
        int value = BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(offset));
        if (value < 0)
        {
            throw new InvalidDataException($"{path}: IDX dimension at header byte {offset + 4} is negative ({value}).");
        }

        return value;
    }

    private static byte[] ReadExactly(Stream stream, int length, string path, string what)
    {
        var buffer = new byte[length];
        int read;
        try
        {
            read = stream.ReadAtLeast(buffer, length, throwOnEndOfStream: false);
        }
        catch (InvalidDataException e)
        {
            // GZipStream reports a cut-off compressed stream itself; say which file and part it was.
            throw new InvalidDataException($"{path}: corrupt or truncated gzip data while reading the {what}.", e);
        }

        if (read < length)
        {
            throw new InvalidDataException($"{path}: truncated IDX file, {what} has {read} of {length} bytes.");
        }

        return buffer;
    }
}

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
    /// larger canvas, deterministically for a seed.
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

        var rng = new Random(seed);
        int imageLength = canvasSize * canvasSize;
        var output = new float[take * imageLength];
        var outLabels = new int[take];
        var distortions = new RtsParameters[take];
        var source = new float[sourceLength];
        for (int i = 0; i < take; i++)
        {
            for (int j = 0; j < sourceLength; j++)
            {
                source[j] = pixels[i * sourceLength + j];
            }

            distortions[i] = RtsDistortion.Sample(rng, maxAngleDegrees, minScale, maxScale, maxShiftPixels);
            RtsDistortion.Apply(source, rows, cols, canvasSize, canvasSize, distortions[i]).CopyTo(output, i * imageLength);
            outLabels[i] = labels[i];
        }

        return new LabelledImages(output, outLabels, take, 1, canvasSize, canvasSize, distortions);
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
}
