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
