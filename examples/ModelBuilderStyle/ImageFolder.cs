using System.Globalization;
using Stn.Datasets;

namespace ModelBuilderStyle;

/// <summary>A folder of labelled images in the layout Model Builder reads: <c>&lt;root&gt;/&lt;label&gt;/&lt;n&gt;.png</c>.</summary>
internal static class ImageFolder
{
    /// <summary>Writes <paramref name="perClass"/> distorted glyphs of every class as greyscale PNGs.</summary>
    public static void WriteGlyphs(string root, int perClass, int side, int seed)
    {
        var glyphs = GlyphDataset.Generate(perClass * Glyphs.ClassCount, seed, canvasSize: side, glyphSize: side / 2);
        var written = new int[Glyphs.ClassCount];
        for (int i = 0; i < glyphs.Count; i++)
        {
            int cls = glyphs.Labels[i];
            var folder = Directory.CreateDirectory(Path.Combine(root, Glyphs.Name(cls)));
            var file = Path.Combine(folder.FullName, written[cls]++.ToString(CultureInfo.InvariantCulture) + ".png");
            Png.WriteGrey(file, glyphs.Image(i), side, side);
        }
    }

    /// <summary>Every PNG under <paramref name="root"/>, its path relative to the root and its folder name as label.</summary>
    public static List<ModelInput> List(string root) =>
        Directory.EnumerateFiles(root, "*.png", SearchOption.AllDirectories)
            .Order(StringComparer.Ordinal)
            .Select(path => new ModelInput
            {
                ImagePath = Path.GetRelativePath(root, path),
                Label = Path.GetFileName(Path.GetDirectoryName(path)!),
            })
            .ToList();
}
