using Microsoft.ML;
using Microsoft.ML.Data;
using Stn.Datasets;

namespace DistortedFashionMnist;

/// <summary>One labelled image as ML.NET reads it: the class name and the planar pixels.</summary>
internal sealed class ImageRow
{
    public string Label { get; set; } = "";

    public float[] Features { get; set; } = [];
}

internal static class ImageRows
{
    /// <summary>
    /// Rows [start, start + count) of <paramref name="images"/> as a data view whose Features column has a known size,
    /// which StnClassify needs to check the image geometry.
    /// </summary>
    public static IDataView View(MLContext ml, LabelledImages images, Func<int, string> className, int start, int count)
    {
        var rows = Enumerable.Range(start, count)
            .Select(i => new ImageRow { Label = className(images.Labels[i]), Features = images.Image(i) })
            .ToList();
        var schema = SchemaDefinition.Create(typeof(ImageRow));
        schema[nameof(ImageRow.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, images.ImageLength);
        return ml.Data.LoadFromEnumerable(rows, schema);
    }
}
