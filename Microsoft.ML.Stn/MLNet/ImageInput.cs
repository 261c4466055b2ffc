using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using Microsoft.ML.Transforms.Image;

namespace Microsoft.ML.Stn.MLNet;

/// <summary>
/// The image column of an input schema, checked against the expected geometry, and the per-cursor readers that copy
/// one row's pixels into a planar (CHW) float span. Accepts what <c>ExtractPixels</c> produces with its defaults
/// (a known-size <c>vector&lt;float&gt;</c>) or an <see cref="MLImage"/> column, converted with the same conventions.
/// </summary>
internal sealed class ImageInput
{
    private readonly int _channels;
    private readonly int _height;
    private readonly int _width;

    private ImageInput(DataViewSchema.Column column, int channels, int height, int width)
    {
        Column = column;
        _channels = channels;
        _height = height;
        _width = width;
    }

    public DataViewSchema.Column Column { get; }

    public bool IsImage => Column.Type is ImageDataViewType;

    public int PixelCount => _channels * _height * _width;

    public static ImageInput Bind(IExceptionContext ectx, DataViewSchema schema, string columnName, int channels, int height, int width)
    {
        var column = schema.GetColumnOrNull(columnName)
            ?? throw ectx.ExceptSchemaMismatch(nameof(schema), "feature", columnName);
        var input = new ImageInput(column, channels, height, width);
        input.CheckType(ectx, column.Type);
        return input;
    }

    /// <summary>The same check on a schema shape, for <c>GetOutputSchema</c>.</summary>
    public static void Check(IExceptionContext ectx, SchemaShape shape, string columnName, int channels, int height, int width)
    {
        if (!shape.TryFindColumn(columnName, out var column))
            throw ectx.ExceptSchemaMismatch(nameof(shape), "feature", columnName);
        bool isImage = column.Kind == SchemaShape.Column.VectorKind.Scalar && column.ItemType is ImageDataViewType;
        bool isFloatVector = column.Kind == SchemaShape.Column.VectorKind.Vector && column.ItemType == NumberDataViewType.Single;
        if (!isImage && !isFloatVector)
        {
            throw ectx.ExceptSchemaMismatch(nameof(shape), "feature", columnName,
                Expected(channels, height, width), column.GetTypeString());
        }
        if (isImage && channels != 1 && channels != 3)
            throw ectx.ExceptParam(nameof(StnClassifyOptions.Channels), $"An MLImage feature column gives 1 or 3 channels, but Channels is {channels}.");
    }

    private void CheckType(IExceptionContext ectx, DataViewType type)
    {
        if (type is ImageDataViewType)
        {
            if (_channels != 1 && _channels != 3)
                throw ectx.ExceptParam(nameof(StnClassifyOptions.Channels), $"An MLImage feature column gives 1 or 3 channels, but Channels is {_channels}.");
            return;
        }
        if (type is VectorDataViewType vector && vector.ItemType == NumberDataViewType.Single && vector.Size == PixelCount)
            return;
        throw ectx.ExceptSchemaMismatch("schema", "feature", Column.Name, Expected(_channels, _height, _width), type.ToString());
    }

    private static string Expected(int channels, int height, int width) =>
        $"Vector<Single, {channels * height * width}> (Channels {channels} × ImageHeight {height} × ImageWidth {width}, planar) or Image";

    /// <summary>Creates a reader of the current row of <paramref name="row"/>; it allocates nothing per row.</summary>
    public Action<Span<float>> CreateReader(DataViewRow row)
    {
        if (IsImage)
        {
            var getter = row.GetGetter<MLImage>(Column);
            MLImage image = null!;
            return destination =>
            {
                getter(ref image);
                if (image is null)
                    throw new InvalidOperationException($"Feature column '{Column.Name}' has a missing image at row {row.Position}.");
                ToPlanar(image, destination);
            };
        }
        var vectorGetter = row.GetGetter<VBuffer<float>>(Column);
        var buffer = default(VBuffer<float>);
        return destination =>
        {
            vectorGetter(ref buffer);
            buffer.CopyTo(destination);
        };
    }

    /// <summary>
    /// Converts like <c>ExtractPixels</c> with its defaults: values 0–255, planes R, G, B; one channel is the mean of
    /// R, G and B. An image of another size is resized bilinearly (pixel centres aligned, like the grid's default).
    /// </summary>
    private void ToPlanar(MLImage image, Span<float> destination)
    {
        var pixels = image.Pixels;
        int sourceWidth = image.Width, sourceHeight = image.Height;
        int stride = image.BitsPerPixel / 8;
        bool bgra = image.PixelFormat == MLPixelFormat.Bgra32;
        int red = bgra ? 2 : 0, blue = bgra ? 0 : 2;
        int plane = _height * _width;
        double scaleY = (double)sourceHeight / _height, scaleX = (double)sourceWidth / _width;
        for (int y = 0; y < _height; y++)
        {
            double sy = Math.Clamp((y + 0.5) * scaleY - 0.5, 0, sourceHeight - 1);
            int y0 = (int)sy, y1 = Math.Min(y0 + 1, sourceHeight - 1);
            double fy = sy - y0;
            for (int x = 0; x < _width; x++)
            {
                double sx = Math.Clamp((x + 0.5) * scaleX - 0.5, 0, sourceWidth - 1);
                int x0 = (int)sx, x1 = Math.Min(x0 + 1, sourceWidth - 1);
                double fx = sx - x0;
                int p00 = (y0 * sourceWidth + x0) * stride, p01 = (y0 * sourceWidth + x1) * stride;
                int p10 = (y1 * sourceWidth + x0) * stride, p11 = (y1 * sourceWidth + x1) * stride;
                double r = Bilinear(pixels, red, p00, p01, p10, p11, fx, fy);
                double g = Bilinear(pixels, 1, p00, p01, p10, p11, fx, fy);
                double b = Bilinear(pixels, blue, p00, p01, p10, p11, fx, fy);
                int at = y * _width + x;
                if (_channels == 1)
                {
                    destination[at] = (float)((r + g + b) / 3);
                }
                else
                {
                    destination[at] = (float)r;
                    destination[plane + at] = (float)g;
                    destination[2 * plane + at] = (float)b;
                }
            }
        }
    }

    private static double Bilinear(ReadOnlySpan<byte> pixels, int channel, int p00, int p01, int p10, int p11, double fx, double fy)
    {
        double top = pixels[p00 + channel] + (pixels[p01 + channel] - pixels[p00 + channel]) * fx;
        double bottom = pixels[p10 + channel] + (pixels[p11 + channel] - pixels[p10 + channel]) * fx;
        return top + (bottom - top) * fy;
    }
}
