using Microsoft.ML.Stn.Network;
using Microsoft.ML.Stn.Tests.MLNet;
using Stn.Datasets;

namespace Microsoft.ML.Stn.Tests.Onnx;

/// <summary>
/// Every transform kind × sampling mode × padding mode × corner convention exports and scores in ONNX Runtime like
/// the TorchSharp transformer. Each model is trained for one epoch, then its localisation head is set to known
/// random weights around a transform that sends part of the grid outside the image (where padding decides): nearest
/// sampling passes no gradient to θ, so training alone would leave it at the identity. The images have three
/// channels that differ, and the rectified image has another size than the input, not square.
/// </summary>
[TestClass]
public sealed class OnnxSamplerCoverageTests
{
    private const int Side = 24;
    private const int OutputHeight = 20;
    private const int OutputWidth = 22;
    private const int Channels = 3;

    private static readonly Lazy<(float[] Pixels, string[] Labels)> s_train = new(() => ColourImages(32, seed: 31));
    private static readonly Lazy<(float[] Pixels, string[] Labels)> s_test = new(() => ColourImages(24, seed: 32));

    /// <summary>Glyphs as three different planes: the glyph, its transpose and its mirror image.</summary>
    private static (float[] Pixels, string[] Labels) ColourImages(int count, int seed)
    {
        var images = GlyphDataset.Generate(count, seed, Side);
        int plane = Side * Side;
        var pixels = new float[count * Channels * plane];
        for (int n = 0; n < count; n++)
        {
            var image = images.Image(n);
            for (int y = 0; y < Side; y++)
                for (int x = 0; x < Side; x++)
                {
                    int at = n * Channels * plane + y * Side + x;
                    pixels[at] = image[y * Side + x];
                    pixels[at + plane] = image[x * Side + y];
                    pixels[at + 2 * plane] = image[y * Side + Side - 1 - x];
                }
        }
        return (pixels, Enumerable.Range(0, count).Select(i => Glyphs.Name(images.Labels[i])).ToArray());
    }

    private static IDataView View(MLContext ml, (float[] Pixels, string[] Labels) data)
    {
        int length = Channels * Side * Side;
        return Enumerable.Range(0, data.Labels.Length)
            .Select(i => new ImageRow { Label = data.Labels[i], Features = data.Pixels.AsSpan(i * length, length).ToArray() })
            .ToDataView(ml, length);
    }

    [TestMethod]
    [DataRow(TransformKind.Affine)]
    [DataRow(TransformKind.Similarity)]
    [DataRow(TransformKind.Attention)]
    [DataRow(TransformKind.Translation)]
    [DataRow(TransformKind.Projective)]
    [DataRow(TransformKind.ThinPlateSpline)]
    public void EverySamplerSettingScoresLikeTorchSharp(TransformKind kind)
    {
        var failures = new List<string>();
        foreach (var sampling in Enum.GetValues<SamplingMode>())
            foreach (var padding in Enum.GetValues<PaddingMode>())
                foreach (bool alignCorners in new[] { false, true })
                {
                    try { AssertExportMatches(kind, sampling, padding, alignCorners); }
                    catch (AssertFailedException e) { failures.Add(e.Message); }
                }
        Assert.IsEmpty(failures, string.Join(Environment.NewLine, failures));
    }

    private static void AssertExportMatches(TransformKind kind, SamplingMode sampling, PaddingMode padding, bool alignCorners)
    {
        string setting = $"{kind}, {sampling}, {padding}, AlignCorners = {alignCorners}";
        var ml = new MLContext(seed: 3);
        var pipeline = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.Transforms.StnClassify(new StnClassifyOptions
            {
                ImageHeight = Side, ImageWidth = Side, Channels = Channels, OutputHeight = OutputHeight, OutputWidth = OutputWidth,
                Transform = kind, Sampling = sampling, Padding = padding, AlignCorners = alignCorners,
                Epochs = 1, BatchSize = 16, RectifiedImageColumnName = TrainedModel.RectifiedColumn,
                // One warp per setting; WarpRecipeTests covers the export of refinement. Composed with itself, the
                // projective head below puts the perspective divisor through zero inside the grid (w = −0.05 at a
                // corner), where coordinates run off to infinity and no two runtimes need agree.
                RefinementSteps = 1,
                // θ must be the head's alone to reach outside the image; MomentNormalisationTests covers the export
                // of the moments' view.
                MomentNormalisation = false,
            }));
        var model = pipeline.Fit(View(ml, s_train.Value));
        MoveTheta(model, kind);
        var test = View(ml, s_test.Value);
        var scored = model.Transform(test);
        var theta = TrainedModel.Vectors(scored, "Theta");
        Assert.IsTrue(theta.Any(t => LeavesTheImage(kind, t)), $"{setting}: θ should send part of the grid outside the image");

        var onnx = OnnxRunner.Score(OnnxRunner.Export(ml, model, test), s_test.Value.Pixels, Channels * Side * Side, s_test.Value.Labels);
        double thetaError = MaxError(theta, OnnxRunner.Floats(onnx["Theta.output"]));
        double rectifiedError = MaxError(TrainedModel.Vectors(scored, TrainedModel.RectifiedColumn), OnnxRunner.Floats(onnx[TrainedModel.RectifiedColumn + ".output"]));
        double scoreError = MaxError(TrainedModel.Vectors(scored, "Score"), OnnxRunner.Floats(onnx["Score.output"]));
        var keys = onnx["PredictedLabel.output"].Select(r => ((uint[])r).Single()).ToArray();
        int differentKeys = TrainedModel.Keys(scored, "PredictedLabel").Zip(keys).Count(p => p.First != p.Second);
        Console.WriteLine($"{setting}: max |Δθ| {thetaError:E1}, max |Δrectified| {rectifiedError:E1}, max |ΔScore| {scoreError:E1}, different labels {differentKeys}");
        Assert.IsLessThanOrEqualTo(1e-4, thetaError, $"{setting}: θ");
        Assert.IsLessThanOrEqualTo(255 * 1e-4, rectifiedError, $"{setting}: rectified image");
        Assert.IsLessThanOrEqualTo(1e-4, scoreError, $"{setting}: Score");
        Assert.AreEqual(0, differentKeys, $"{setting}: PredictedLabel");
    }

    private static double MaxError(float[][] expected, float[][] actual)
    {
        Assert.HasCount(expected.Length, actual);
        double max = 0;
        for (int i = 0; i < expected.Length; i++)
            for (int j = 0; j < expected[i].Length; j++)
                max = Math.Max(max, Math.Abs((double)expected[i][j] - actual[i][j]));
        return max;
    }

    /// <summary>A bias that rotates, scales, shifts, tilts or bends the grid partly out of the image.</summary>
    private static void MoveTheta(ITransformer model, TransformKind kind) => TrainedModel.SetLocalisationHead(model, kind switch
    {
        TransformKind.Affine => [1.1f, 0.3f, 0.25f, -0.2f, 0.9f, -0.3f],
        TransformKind.Similarity => [0.6f, 1.15f, 0.2f, -0.15f],
        TransformKind.Attention => [1.2f, 0.25f, -0.2f],
        TransformKind.Translation => [0.3f, -0.25f],
        TransformKind.ThinPlateSpline => [.. ThinPlateSplineGrid.IdentityTheta(ThinPlateSplineGrid.DefaultControlPointGridSize)
            .Select((p, i) => 1.15f * p + (i % 2 == 0 ? 0.2f : -0.1f) + (i % 3 == 0 ? 0.1f : 0f))],
        _ => [1.05f, 0.2f, 0.2f, -0.1f, 0.95f, 0.15f, 0.3f, -0.25f],
    });

    /// <summary>
    /// Whether a corner of the output grid maps outside [−1, 1] (ignoring the projective divide), or for a thin-plate
    /// spline whether a control point's target lies outside.
    /// </summary>
    private static bool LeavesTheImage(TransformKind kind, float[] theta) => kind == TransformKind.ThinPlateSpline
        ? theta.Any(v => Math.Abs(v) > 1.02)
        : Math.Abs(theta[0]) + Math.Abs(theta[1]) + Math.Abs(theta[2]) > 1.02 || Math.Abs(theta[3]) + Math.Abs(theta[4]) + Math.Abs(theta[5]) > 1.02;
}
