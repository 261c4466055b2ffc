using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using Microsoft.ML.Transforms.Image;

namespace Microsoft.ML.Stn.MLNet;

/// <summary>
/// The image column of an input schema, checked against the expected geometry, and the per-cursor readers that copy
/// one row's pixels into a planar (CHW) float span. Accepts what <c>ExtractPixels</c> produces with its defaults
/// (a known-size <c>vector&lt;float&gt;</c>) or an <see cref="MLImage"/> column, which goes through ML.NET's own
/// <c>ResizeImages</c> (to the model's size), <c>ConvertToGrayscale</c> (for one channel) and <c>ExtractPixels</c>.
/// </summary>
internal sealed class ImageInput
{
    /// <summary>The column ML.NET's image transforms write the pixels to, inside the mapped row only.</summary>
    private const string PixelsColumn = "StnClassify.Pixels";

    private readonly IRowToRowMapper? _imageToPixels;

    private ImageInput(IHostEnvironment env, DataViewSchema schema, DataViewSchema.Column column, int channels, int height, int width)
    {
        Column = column;
        Channels = channels;
        Height = height;
        Width = width;
        if (column.Type is ImageDataViewType)
        {
            var transforms = new TransformsCatalog(env);
            var resized = transforms.ResizeImages(PixelsColumn, width, height, column.Name, ImageResizingEstimator.ResizingKind.Fill);
            var pixels = transforms.ExtractPixels(PixelsColumn, PixelsColumn,
                channels == 1 ? ImagePixelExtractingEstimator.ColorBits.Red : ImagePixelExtractingEstimator.ColorBits.Rgb);
            var chain = channels == 1
                ? resized.Append(transforms.ConvertToGrayscale(PixelsColumn, PixelsColumn)).Append(pixels)
                : resized.Append(pixels);
            _imageToPixels = ((ITransformer)chain.Fit(new EmptyDataView(env, schema))).GetRowToRowMapper(schema);
        }
    }

    public DataViewSchema.Column Column { get; }

    public int Channels { get; }

    public int Height { get; }

    public int Width { get; }

    public int PixelCount => Channels * Height * Width;

    public static ImageInput Bind(IHostEnvironment env, DataViewSchema schema, string columnName, int channels, int height, int width)
    {
        var column = schema.GetColumnOrNull(columnName)
            ?? throw env.ExceptSchemaMismatch(nameof(schema), "feature", columnName);
        CheckType(env, column, channels, height, width);
        return new ImageInput(env, schema, column, channels, height, width);
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
        if (isImage)
            CheckImageChannels(ectx, channels);
    }

    private static void CheckType(IExceptionContext ectx, DataViewSchema.Column column, int channels, int height, int width)
    {
        if (column.Type is ImageDataViewType)
        {
            CheckImageChannels(ectx, channels);
            return;
        }
        if (column.Type is VectorDataViewType vector && vector.ItemType == NumberDataViewType.Single && vector.Size == channels * height * width)
            return;
        throw ectx.ExceptSchemaMismatch("schema", "feature", column.Name, Expected(channels, height, width), column.Type.ToString());
    }

    private static void CheckImageChannels(IExceptionContext ectx, int channels)
    {
        if (channels != 1 && channels != 3)
            throw ectx.ExceptParam(nameof(StnClassifyOptions.Channels), $"An MLImage feature column gives 1 or 3 channels, but Channels is {channels}.");
    }

    private static string Expected(int channels, int height, int width) =>
        $"Vector<Single, {channels * height * width}> (Channels {channels} × ImageHeight {height} × ImageWidth {width}, planar) or Image";

    /// <summary>Creates a reader of the current row of <paramref name="row"/>; it allocates nothing per row.</summary>
    public PixelReader CreateReader(DataViewRow row)
    {
        if (_imageToPixels is null)
            return new PixelReader(row.GetGetter<VBuffer<float>>(Column), null);
        var pixels = _imageToPixels.OutputSchema[PixelsColumn];
        var mapped = _imageToPixels.GetRow(row, [pixels]);
        return new PixelReader(mapped.GetGetter<VBuffer<float>>(pixels), mapped);
    }

    /// <summary>
    /// Copies the current row's pixels into a planar span. Disposing it disposes the row that ML.NET's image transforms
    /// map, which is what releases the last image they resized or converted.
    /// </summary>
    public sealed class PixelReader : IDisposable
    {
        private readonly ValueGetter<VBuffer<float>> _getter;
        private readonly DataViewRow? _mapped;
        private VBuffer<float> _buffer;

        internal PixelReader(ValueGetter<VBuffer<float>> getter, DataViewRow? mapped)
        {
            _getter = getter;
            _mapped = mapped;
        }

        public void Read(Span<float> destination)
        {
            _getter(ref _buffer);
            _buffer.CopyTo(destination);
        }

        public void Dispose() => _mapped?.Dispose();
    }
}
