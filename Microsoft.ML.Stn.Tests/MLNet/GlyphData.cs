using Stn.Datasets;

namespace Microsoft.ML.Stn.Tests.MLNet;

/// <summary>Deterministic distorted-glyph data as ML.NET views, shared by the component tests.</summary>
internal static class GlyphData
{
    public static LabelledImages Images(int count, int seed) => GlyphDataset.Generate(count, seed);

    public static IEnumerable<ImageRow> Rows(LabelledImages images) => images.Rows(Glyphs.Name);

    public static IDataView View(MLContext ml, LabelledImages images) => images.ToDataView(ml, Glyphs.Name);

    public static IDataView View(MLContext ml, IEnumerable<ImageRow> rows, int length) => rows.ToDataView(ml, length);

    /// <summary>Labels mapped to keys, as every multiclass pipeline starts.</summary>
    public static IDataView Keyed(MLContext ml, IDataView view) =>
        ml.Transforms.Conversion.MapValueToKey("Label").Fit(view).Transform(view);
}
