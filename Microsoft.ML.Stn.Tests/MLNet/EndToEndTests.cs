using Stn.Datasets;

namespace Microsoft.ML.Stn.Tests.MLNet;

/// <summary>
/// The proof that the spatial transformer earns its place, on glyphs at random rotation (±60°), scale (0.7–1.3) and
/// position on a canvas twice the glyph size: StnClassify beats the same classifier without it on held-out data with
/// the same data and epochs, and its warp undoes the distortion: the rectified glyphs' centroids spread less, and the
/// rotation left after the warp (the known distortion composed with the learned θ) spreads less within a class.
/// </summary>
[TestClass]
public sealed class EndToEndTests
{
    private const int Canvas = 32;

    [TestMethod]
    public void SpatialTransformerBeatsTheBaselineAndCentresTheGlyphs()
    {
        var train = GlyphData.Images(2000, seed: 101);
        var test = GlyphData.Images(500, seed: 102);
        var stn = TrainAndScore(train, test, new StnClassifyOptions { Epochs = 8 });
        var baseline = TrainAndScore(train, test, new StnClassifyOptions { Epochs = 8, UseSpatialTransformer = false });

        var inputs = Enumerable.Range(0, test.Count).Select(test.Image).ToArray();
        double inputSpread = CentroidSpread(inputs), rectifiedSpread = CentroidSpread(stn.Rectified);
        Console.WriteLine($"accuracy: StnClassify {stn.Accuracy:P1}, baseline {baseline.Accuracy:P1}; " +
            $"centroid spread: inputs {inputSpread:F2} px, rectified {rectifiedSpread:F2} px");
        Assert.IsGreaterThanOrEqualTo(baseline.Accuracy + 0.03, stn.Accuracy,
            $"StnClassify {stn.Accuracy:P1} must clearly beat the baseline {baseline.Accuracy:P1}");
        Assert.IsLessThan(0.7 * inputSpread, rectifiedSpread,
            $"centroid spread: inputs {inputSpread:F2} px, rectified {rectifiedSpread:F2} px");
    }

    [TestMethod]
    public void SpatialTransformerLearnsToUndoRotation()
    {
        var train = GlyphData.Images(4000, seed: 103);
        var test = GlyphData.Images(500, seed: 102);
        // The classifier learns ten times slower than the localisation net, so the warp can canonicalise rotation
        // before the classifier has become invariant to it (see StnClassifyOptions.LocalisationLearningRate).
        var stn = TrainAndScore(train, test, new StnClassifyOptions { Epochs = 20, LearningRate = 1e-4f, LocalisationLearningRate = 1e-3f });

        double applied = RotationSpreadPerClass(test, _ => 0);
        double left = RotationSpreadPerClass(test, i => ThetaAngleDegrees(stn.Warps[i]));
        Console.WriteLine($"accuracy {stn.Accuracy:P1}; rotation spread within a class: applied {applied:F1}°, left after the warp {left:F1}°");
        // The outcome depends on libtorch's CPU kernels: with the default (AVX-512) kernels 25.6° of 34.2° (0.75×) is
        // left at 99.2 % accuracy, with ATEN_CPU_CAPABILITY=avx2 29.8° (0.87×) at 80.8 %. The bounds hold for both;
        // making rotation learning robust is the learning issue's work.
        Assert.IsLessThan(0.95 * applied, left, $"rotation spread within a class: applied {applied:F1}°, left after the warp {left:F1}°");
        Assert.IsGreaterThan(0.7, stn.Accuracy, "undoing rotation must not cost the classification");
    }

    private sealed record Scored(double Accuracy, float[][] Rectified, float[][] Warps);

    private static Scored TrainAndScore(LabelledImages train, LabelledImages test, StnClassifyOptions options)
    {
        var ml = new MLContext(seed: 1);
        options.ImageHeight = Canvas;
        options.ImageWidth = Canvas;
        options.RectifiedImageColumnName = "RectifiedImage";
        var model = ml.Transforms.Conversion.MapValueToKey("Label").Append(ml.Transforms.StnClassify(options))
            .Fit(GlyphData.View(ml, train));
        var scored = model.Transform(GlyphData.View(ml, test));
        return new Scored(ml.MulticlassClassification.Evaluate(scored).MicroAccuracy,
            TrainedModel.Vectors(scored, "RectifiedImage"), TrainedModel.Vectors(scored, "Theta"));
    }

    private static double CentroidSpread(IReadOnlyList<float[]> images)
    {
        var centroids = images.Select(i => ImageStatistics.Centroid(i, Canvas, Canvas)).ToList();
        double x = ImageStatistics.Spread(centroids.Select(c => c.X).ToList());
        double y = ImageStatistics.Spread(centroids.Select(c => c.Y).ToList());
        return Math.Sqrt((x * x + y * y) / 2);
    }

    /// <summary>
    /// Rotation angle of θ's linear part (the nearest rotation). θ maps output to input coordinates, so a θ rotated
    /// by +a turns the content by +a (counter-clockwise on screen); undoing a distortion of α takes a = −α.
    /// </summary>
    private static double ThetaAngleDegrees(float[] theta) =>
        Math.Atan2(theta[3] - theta[1], theta[0] + theta[4]) * 180 / Math.PI;

    /// <summary>
    /// Mean over classes of the standard deviation of (applied angle + θ angle), wrapped to ±180°: the rotation the
    /// warp leaves. Within a class, because the warp may settle on any fixed pose per class, not necessarily upright.
    /// </summary>
    private static double RotationSpreadPerClass(LabelledImages test, Func<int, double> thetaAngle) =>
        test.Labels.Distinct().Average(cls => ImageStatistics.Spread(Enumerable.Range(0, test.Count)
            .Where(i => test.Labels[i] == cls)
            .Select(i => Math.IEEERemainder(test.Distortions[i].AngleDegrees + thetaAngle(i), 360))
            .ToList()));
}
