using Microsoft.ML.Data;
using Stn.Datasets;

namespace Microsoft.ML.Stn.Tests.MLNet;

/// <summary>Deterministic distorted-glyph data as ML.NET views, shared by the component tests.</summary>
internal static class GlyphData
{
    public sealed class Row
    {
        public string Label { get; set; } = "";
        public float[] Features { get; set; } = Array.Empty<float>();
    }

    public static LabelledImages Images(int count, int seed, int canvas = 32, int glyph = 16, double maxAngle = 60,
        double minScale = 0.7, double maxScale = 1.3, double maxShift = 6) =>
        GlyphDataset.Generate(count, seed, canvas, glyph, maxAngle, minScale, maxScale, maxShift);

    public static IEnumerable<Row> Rows(LabelledImages images)
    {
        for (int i = 0; i < images.Count; i++)
            yield return new Row { Label = Glyphs.Name(images.Labels[i]), Features = images.Image(i) };
    }

    public static IDataView View(MLContext ml, LabelledImages images) => View(ml, Rows(images).ToList(), images.ImageLength);

    public static IDataView View(MLContext ml, IReadOnlyList<Row> rows, int length)
    {
        var schema = SchemaDefinition.Create(typeof(Row));
        schema[nameof(Row.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, length);
        return ml.Data.LoadFromEnumerable(rows, schema);
    }

    /// <summary>Labels mapped to keys, as every multiclass pipeline starts.</summary>
    public static IDataView Keyed(MLContext ml, IDataView view) =>
        ml.Transforms.Conversion.MapValueToKey("Label").Fit(view).Transform(view);
}
