using Microsoft.ML;
using Microsoft.ML.Data;

namespace Stn.Datasets;

/// <summary>One labelled image as ML.NET reads it: the class name and the planar pixels.</summary>
public sealed class ImageRow
{
    /// <summary>Class name (the label before <c>MapValueToKey</c>).</summary>
    public string Label { get; set; } = "";

    /// <summary>Planar pixels, 0–255.</summary>
    public float[] Features { get; set; } = [];
}

/// <summary>Pixels alone, as a model that only scores reads them.</summary>
public sealed class PixelRow
{
    /// <summary>Planar pixels, 0–255.</summary>
    public float[] Features { get; set; } = [];
}

/// <summary>Turns <see cref="LabelledImages"/> into ML.NET data views.</summary>
public static class DataViews
{
    /// <summary>
    /// The schema of <see cref="ImageRow"/> with a known-size Features column, which StnClassify needs to check the
    /// image geometry (a plain <c>float[]</c> property would give a variable-size vector).
    /// </summary>
    /// <param name="imageLength">Channels × height × width.</param>
    public static SchemaDefinition Schema(int imageLength)
    {
        var schema = SchemaDefinition.Create(typeof(ImageRow));
        schema[nameof(ImageRow.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, imageLength);
        return schema;
    }

    /// <summary>
    /// An empty view with only a Features column of <paramref name="imageLength"/> pixels: the input schema to export a
    /// scoring model with <c>ConvertToOnnx</c>, so that its graph takes the pixels and nothing else. (A view derived
    /// from labelled data would not do: the converter follows derived views back to their source.)
    /// </summary>
    /// <param name="ml">The ML.NET context.</param>
    /// <param name="imageLength">Channels × height × width.</param>
    public static IDataView PixelsOnly(MLContext ml, int imageLength)
    {
        var schema = SchemaDefinition.Create(typeof(PixelRow));
        schema[nameof(PixelRow.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, imageLength);
        return ml.Data.LoadFromEnumerable(Array.Empty<PixelRow>(), schema);
    }

    /// <summary>Rows [start, start + count) of the images; <paramref name="count"/> −1 means to the end.</summary>
    /// <param name="images">The images.</param>
    /// <param name="className">Name of a class index.</param>
    /// <param name="start">First row.</param>
    /// <param name="count">Number of rows, or −1.</param>
    public static IEnumerable<ImageRow> Rows(this LabelledImages images, Func<int, string> className, int start = 0, int count = -1)
    {
        int end = count < 0 ? images.Count : start + count;
        for (int i = start; i < end; i++)
            yield return new ImageRow { Label = className(images.Labels[i]), Features = images.Image(i) };
    }

    /// <summary>A data view of rows whose images have <paramref name="imageLength"/> pixels.</summary>
    /// <param name="rows">The rows; they are kept in memory.</param>
    /// <param name="ml">The ML.NET context.</param>
    /// <param name="imageLength">Channels × height × width.</param>
    public static IDataView ToDataView(this IEnumerable<ImageRow> rows, MLContext ml, int imageLength) =>
        ml.Data.LoadFromEnumerable(rows.ToList(), Schema(imageLength));

    /// <summary>A data view of rows [start, start + count) of the images.</summary>
    /// <param name="images">The images.</param>
    /// <param name="ml">The ML.NET context.</param>
    /// <param name="className">Name of a class index.</param>
    /// <param name="start">First row.</param>
    /// <param name="count">Number of rows, or −1 for all to the end.</param>
    public static IDataView ToDataView(this LabelledImages images, MLContext ml, Func<int, string> className, int start = 0, int count = -1) =>
        images.Rows(className, start, count).ToDataView(ml, images.ImageLength);
}
