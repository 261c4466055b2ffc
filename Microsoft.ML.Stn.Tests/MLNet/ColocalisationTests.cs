using Microsoft.ML.Data;
using Stn.Datasets;

namespace Microsoft.ML.Stn.Tests.MLNet;

/// <summary>
/// The paper's co-localisation reading of the attention transform: trained on class labels alone, the BoundingBox
/// column says where the object is. Glyphs (16-pixel cells, ink about 10×14) are only translated, up to ±8 pixels on a
/// 32×32 canvas, and the rectified image is 16×16, so looking at the whole canvas would halve the glyph's resolution.
/// </summary>
[TestClass]
public sealed class ColocalisationTests
{
    private const int Canvas = 32, GlyphSide = 16, Seed = 11;

    [TestMethod]
    public void AttentionBoxesFrameTranslatedGlyphs()
    {
        var train = GlyphDataset.Generate(1000, Seed, Canvas, GlyphSide, maxAngleDegrees: 0, minScale: 1, maxScale: 1, maxShiftPixels: 8);
        var test = GlyphDataset.Generate(300, Seed + 1000, Canvas, GlyphSide, maxAngleDegrees: 0, minScale: 1, maxScale: 1, maxShiftPixels: 8);
        var ml = new MLContext(Seed);
        var options = new StnClassifyOptions
        {
            ImageHeight = Canvas,
            ImageWidth = Canvas,
            OutputHeight = GlyphSide,
            OutputWidth = GlyphSide,
            Transform = TransformKind.Attention,
            Epochs = 6,
            Seed = Seed,
            NumberOfThreads = 1,
        };
        var model = ml.Transforms.Conversion.MapValueToKey("Label").Append(ml.Transforms.StnClassify(options)).Fit(GlyphData.View(ml, train));
        var boxes = model.Transform(GlyphData.View(ml, test)).GetColumn<float[]>("BoundingBox").Select(v => Box.FromColumn(v)).ToList();

        var stn = BoxMetrics.Evaluate(boxes, test.Boxes);
        var whole = BoxMetrics.Evaluate(Enumerable.Repeat(Box.WholeImage(Canvas, Canvas), test.Count).ToList(), test.Boxes);
        double holding = boxes.Zip(test.Boxes).Count(p => Holds(p.First, p.Second)) / (double)test.Count;
        Console.WriteLine($"STN boxes: hit rate {stn.HitRate:P1}, mean IoU {stn.MeanIoU:F3}, hold the glyph {holding:P1}; " +
                          $"whole image: hit rate {whole.HitRate:P1}, mean IoU {whole.MeanIoU:F3}");

        // Measured over seeds 11–13 with the default and with AVX2 kernels: the boxes hold 90–100 % of the glyphs at a
        // mean IoU of 0.33–0.48 (the whole image: 0.17). They frame the glyph's cell with a margin, about 20 pixels for
        // an ink box of 10×14, so only 4–41 % pass IoU > 0.5: the paper's 100 % on translated digits is not reached.
        Assert.IsGreaterThanOrEqualTo(0.85, holding, $"boxes holding the glyph: {holding:P1}");
        Assert.IsGreaterThanOrEqualTo(0.30, stn.MeanIoU, $"mean IoU {stn.MeanIoU:F3} against {whole.MeanIoU:F3} for the whole image");
        Assert.IsGreaterThan(whole.HitRate, stn.HitRate, "more hits than the whole image");
    }

    /// <summary>Whether the box holds the true box, give or take a pixel at each edge.</summary>
    private static bool Holds(Box box, Box truth) =>
        box.Left <= truth.Left + 1 && box.Top <= truth.Top + 1 && box.Right >= truth.Right - 1 && box.Bottom >= truth.Bottom - 1;
}
