using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Stn;
using Stn.Datasets;

namespace EndToEndSweep;

/// <summary>What one run of a scenario measured on its held-out glyphs.</summary>
/// <param name="Accuracy">StnClassify's test accuracy.</param>
/// <param name="BaselineAccuracy">The same classifier without the spatial transformer (NaN when not trained).</param>
/// <param name="Before">The distortion's spread: centroid spread in pixels, or rotation spread within a class in degrees.</param>
/// <param name="After">The same spread after the warp.</param>
/// <param name="Pose">Rotation, size and position left after the warp, mean over classes (<see cref="PoseFigures"/>);
/// null where the scenario does not measure them.</param>
public sealed record ScenarioResult(double Accuracy, double BaselineAccuracy, double Before, double After, PoseRatios? Pose = null)
{
    /// <summary>How much of the spread the warp leaves.</summary>
    public double Ratio => After / Before;
}

/// <summary>
/// The end-to-end scenarios of the test suite's EndToEndTests, parameterised by seed, so that their thresholds can be
/// taken from a sweep over seeds and CPU kernel sets (this program) rather than from one lucky run. Glyphs at ±60°
/// rotation, 0.7–1.3 scale and random position on a 32×32 canvas.
/// </summary>
public static class Scenarios
{
    public const int Canvas = 32;

    /// <summary>
    /// Default options, 2000 training images, 8 epochs: accuracy against the baseline, centroid spread, and the pose
    /// left after the warp. <paramref name="configure"/> adjusts the STN's options (not the baseline's).
    /// </summary>
    public static ScenarioResult Centring(int seed, Action<StnClassifyOptions>? configure = null)
    {
        var train = GlyphDataset.Generate(2000, 101 + 10 * (seed - 1));
        var test = GlyphDataset.Generate(500, 102 + 10 * (seed - 1));
        var options = new StnClassifyOptions { Epochs = 8 };
        configure?.Invoke(options);
        var (accuracy, rectifiedImages, thetas) = TrainAndScore(train, test, options, seed);
        var (baseline, _, _) = TrainAndScore(train, test, new StnClassifyOptions { Epochs = 8, UseSpatialTransformer = false }, seed);
        var inputs = Enumerable.Range(0, test.Count).Select(test.Image).ToArray();
        var pose = PoseFigures.MeanOverClasses(test.Distortions, test.Labels, thetas, Canvas, Canvas);
        return new ScenarioResult(accuracy, baseline, CentroidSpread(inputs), CentroidSpread(rectifiedImages), pose);
    }

    /// <summary>
    /// 4000 training images, 20 epochs, the classifier at 0.0001 and the localisation net at 0.001: the rotation spread
    /// within a class before and after the warp. <paramref name="configure"/> adjusts the options.
    /// </summary>
    public static ScenarioResult Rotation(int seed, Action<StnClassifyOptions>? configure = null)
    {
        var train = GlyphDataset.Generate(4000, 103 + 10 * (seed - 1));
        var test = GlyphDataset.Generate(500, 102 + 10 * (seed - 1));
        var options = new StnClassifyOptions { Epochs = 20, LearningRate = 1e-4f, LocalisationLearningRate = 1e-3f };
        configure?.Invoke(options);
        var (accuracy, _, thetas) = TrainAndScore(train, test, options, seed);
        double applied = RotationSpreadPerClass(test, _ => 0);
        double left = RotationSpreadPerClass(test, i => ThetaAngleDegrees(thetas[i]));
        return new ScenarioResult(accuracy, double.NaN, applied, left);
    }

    private static (double Accuracy, float[][] RectifiedImages, float[][] Thetas) TrainAndScore(
        LabelledImages train, LabelledImages test, StnClassifyOptions options, int seed)
    {
        var ml = new MLContext(seed);
        options.ImageHeight = Canvas;
        options.ImageWidth = Canvas;
        options.RectifiedImageColumnName = "RectifiedImage";
        var model = ml.Transforms.Conversion.MapValueToKey("Label").Append(ml.Transforms.StnClassify(options))
            .Fit(train.ToDataView(ml, Glyphs.Name));
        var scored = model.Transform(test.ToDataView(ml, Glyphs.Name));
        return (ml.MulticlassClassification.Evaluate(scored).MicroAccuracy,
            scored.GetColumn<float[]>("RectifiedImage").ToArray(), scored.GetColumn<float[]>(options.ThetaColumnName).ToArray());
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
