using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Stn;
using Stn.Datasets;

namespace EndToEndSweep;

/// <summary>What one run of a scenario measured on its held-out glyphs.</summary>
/// <param name="Accuracy">StnClassify's test accuracy.</param>
/// <param name="BaselineAccuracy">The same classifier without the spatial transformer (NaN when not trained).</param>
/// <param name="Before">The distortion's spread within a class: centroid spread in pixels, or rotation spread in degrees.</param>
/// <param name="After">The same spread after the warp.</param>
/// <param name="Pose">Rotation, size and position left after the warp, mean over classes (<see cref="PoseFigures"/>);
/// null where the scenario does not measure them.</param>
public sealed record ScenarioResult(double Accuracy, double BaselineAccuracy, double Before, double After, PoseRatios? Pose = null)
{
    /// <summary>How much of the spread the warp leaves.</summary>
    public double Ratio => After / Before;
}

/// <summary>What the co-localisation scenario measured: the STN's boxes and the whole image as a box, on held-out glyphs.</summary>
/// <param name="Stn">Hit rate (IoU &gt; 0.5) and mean IoU of the STN's boxes against the glyphs' true boxes.</param>
/// <param name="WholeImage">The same for the whole canvas as the box.</param>
/// <param name="Holding">Fraction of boxes that hold the whole glyph, give or take a pixel at each edge.</param>
public sealed record ColocalisationResult(BoxScores Stn, BoxScores WholeImage, double Holding);

/// <summary>
/// The end-to-end scenarios of the test suite's EndToEndTests and ColocalisationTests, parameterised by seed, so that
/// their thresholds can be taken from a sweep over seeds and CPU kernel sets (this program) rather than from one lucky
/// run. Glyphs on a 32×32 canvas: at ±60° rotation, 0.7–1.3 scale and random position (centring, rotation), or only
/// translated (co-localisation).
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
        var (accuracy, rectifiedImages, rectifiedSide, thetas) = TrainAndScore(train, test, options, seed);
        var (baseline, _, _, _) = TrainAndScore(train, test, new StnClassifyOptions { Epochs = 8, UseSpatialTransformer = false }, seed);
        var inputs = Enumerable.Range(0, test.Count).Select(test.Image).ToArray();
        var pose = PoseFigures.MeanOverClasses(test.Distortions, test.Labels, thetas, Canvas, Canvas);
        return new ScenarioResult(accuracy, baseline, CentroidSpread(inputs, Canvas, test.Labels), CentroidSpread(rectifiedImages, rectifiedSide, test.Labels), pose);
    }

    /// <summary>
    /// Default options, 4000 training images, 20 epochs: the rotation spread within a class before and after the warp.
    /// <paramref name="configure"/> adjusts the options.
    /// </summary>
    public static ScenarioResult Rotation(int seed, Action<StnClassifyOptions>? configure = null)
    {
        var train = GlyphDataset.Generate(4000, 103 + 10 * (seed - 1));
        var test = GlyphDataset.Generate(500, 102 + 10 * (seed - 1));
        var options = new StnClassifyOptions { Epochs = 20 };
        configure?.Invoke(options);
        var (accuracy, _, _, thetas) = TrainAndScore(train, test, options, seed);
        double applied = RotationSpreadPerClass(test, _ => 0);
        double left = RotationSpreadPerClass(test, i => ThetaAngleDegrees(thetas[i]));
        return new ScenarioResult(accuracy, double.NaN, applied, left);
    }

    /// <summary>
    /// The paper's co-localisation reading of the attention transform: glyphs (16-pixel cells, ink about 10×14) only
    /// translated, up to ±8 pixels on the 32×32 canvas, 1000 training images, 16 epochs, one torch thread, and a 16×16
    /// rectified image, so that looking at the whole canvas would halve the glyph's resolution. A box that frames the
    /// cell scores an IoU of only about 0.55 with the ink, so a hit needs the crop to close in on the ink, and that
    /// takes the warp longer: after 6 epochs 63–84 % of the boxes hit, after 12 85–96 %, after 16 at least 96 % (seeds
    /// 1–3, both kernel sets). Seed s draws the data of seed 10 + s.
    /// <paramref name="configure"/> adjusts the options.
    /// </summary>
    public static ColocalisationResult Colocalisation(int seed, Action<StnClassifyOptions>? configure = null)
    {
        const int GlyphSide = 16;
        int dataSeed = 10 + seed;
        var train = GlyphDataset.Generate(1000, dataSeed, Canvas, GlyphSide, maxAngleDegrees: 0, minScale: 1, maxScale: 1, maxShiftPixels: 8);
        var test = GlyphDataset.Generate(300, dataSeed + 1000, Canvas, GlyphSide, maxAngleDegrees: 0, minScale: 1, maxScale: 1, maxShiftPixels: 8);
        var ml = new MLContext(dataSeed);
        var options = new StnClassifyOptions
        {
            ImageHeight = Canvas,
            ImageWidth = Canvas,
            OutputHeight = GlyphSide,
            OutputWidth = GlyphSide,
            Transform = TransformKind.Attention,
            Epochs = 16,
            Seed = dataSeed,
            NumberOfThreads = 1,
        };
        configure?.Invoke(options);
        var model = ml.Transforms.Conversion.MapValueToKey("Label").Append(ml.Transforms.StnClassify(options))
            .Fit(train.ToDataView(ml, Glyphs.Name));
        var boxes = model.Transform(test.ToDataView(ml, Glyphs.Name)).GetColumn<float[]>(options.BoundingBoxColumnName!)
            .Select(v => Box.FromColumn(v)).ToList();
        var whole = Enumerable.Repeat(Box.WholeImage(Canvas, Canvas), test.Count).ToList();
        double holding = boxes.Zip(test.Boxes).Count(p => Holds(p.First, p.Second)) / (double)test.Count;
        return new ColocalisationResult(BoxMetrics.Evaluate(boxes, test.Boxes), BoxMetrics.Evaluate(whole, test.Boxes), holding);
    }

    /// <summary>Whether the box holds the true box, give or take a pixel at each edge.</summary>
    private static bool Holds(Box box, Box truth) =>
        box.Left <= truth.Left + 1 && box.Top <= truth.Top + 1 && box.Right >= truth.Right - 1 && box.Bottom >= truth.Bottom - 1;

    private static (double Accuracy, float[][] RectifiedImages, int RectifiedSide, float[][] Thetas) TrainAndScore(
        LabelledImages train, LabelledImages test, StnClassifyOptions options, int seed)
    {
        var ml = new MLContext(seed);
        options.ImageHeight = Canvas;
        options.ImageWidth = Canvas;
        options.RectifiedImageColumnName = "RectifiedImage";
        var model = ml.Transforms.Conversion.MapValueToKey("Label").Append(ml.Transforms.StnClassify(options))
            .Fit(train.ToDataView(ml, Glyphs.Name));
        var scored = model.Transform(test.ToDataView(ml, Glyphs.Name));
        var stn = model.OfType<StnClassifyTransformer>().Single();
        return (ml.MulticlassClassification.Evaluate(scored).MicroAccuracy, scored.GetColumn<float[]>("RectifiedImage").ToArray(),
            stn.OutputHeight, scored.GetColumn<float[]>(options.ThetaColumnName).ToArray());
    }

    /// <summary>
    /// Mean over classes of the spread of the ink's centroid, in pixels of the canvas (a rectified image smaller than
    /// the canvas counts its pixels at the canvas's scale, so that the ratio does not credit the smaller image). Within a
    /// class, because the warp may settle on any fixed pose per class, and a warp that also undoes size enlarges the
    /// offset between a class's ink centroid and the pose it settles on, which differs from class to class.
    /// </summary>
    private static double CentroidSpread(IReadOnlyList<float[]> images, int side, int[] labels) =>
        labels.Distinct().Average(cls =>
        {
            var centroids = Enumerable.Range(0, images.Count).Where(i => labels[i] == cls)
                .Select(i => ImageStatistics.Centroid(images[i], side, side)).ToList();
            double x = ImageStatistics.Spread(centroids.Select(c => c.X).ToList());
            double y = ImageStatistics.Spread(centroids.Select(c => c.Y).ToList());
            return Math.Sqrt((x * x + y * y) / 2) * Canvas / side;
        });

    /// <summary>
    /// Rotation angle of θ's linear part (the nearest rotation). θ maps output to input coordinates, so a θ rotated
    /// by +a turns the content by +a (counter-clockwise on screen); undoing a distortion of α takes a = −α.
    /// </summary>
    private static double ThetaAngleDegrees(float[] theta) =>
        Math.Atan2(theta[3] - theta[1], theta[0] + theta[4]) * 180 / Math.PI;

    /// <summary>
    /// Mean over classes of the circular spread of (applied angle + θ angle): the rotation the warp leaves. Within a
    /// class, because the warp may settle on any fixed pose per class, not necessarily upright (and circular, because
    /// that pose may lie near ±180°).
    /// </summary>
    private static double RotationSpreadPerClass(LabelledImages test, Func<int, double> thetaAngle) =>
        test.Labels.Distinct().Average(cls => ImageStatistics.AngleSpreadDegrees([.. Enumerable.Range(0, test.Count)
            .Where(i => test.Labels[i] == cls)
            .Select(i => test.Distortions[i].AngleDegrees + thetaAngle(i))]));
}
