using Microsoft.ML.Data;
using Microsoft.ML.Stn.Network;
using Microsoft.ML.Stn.Tests.MLNet;

namespace Microsoft.ML.Stn.Tests.Onnx;

/// <summary>
/// Thin-plate-spline models and models of several transformers export like a single matrix transformer: every column
/// of the ONNX graph within the export's tolerances of the TorchSharp transformer. The localisation head is set so
/// that each transformer's warp leaves the identity and differs from the others', so a block in the wrong place fails.
/// </summary>
[TestClass]
public sealed class OnnxTransformerCountTests
{
    private const int ControlPointGridSize = ParallelTransformerTests.ControlPointGridSize;

    private static ITransformer Fit(MLContext ml, StnClassifyOptions options) =>
        ml.Transforms.Conversion.MapValueToKey("Label").Append(ml.Transforms.StnClassify(options)).Fit(ParallelTransformerTests.Glyphs(ml, 64, 1, 1));

    /// <summary>Transformer t's head bias: its identity parameters scaled by 1.1 − 0.2t and shifted by (0.15 − 0.3t, 0.1t).</summary>
    private static float[] Bias(TransformKind kind, int transformerCount) =>
    [
        .. Enumerable.Range(0, transformerCount).SelectMany(t =>
        {
            var identity = TransformParameterisation.IdentityParameters(kind, ControlPointGridSize);
            float scale = 1.1f - 0.2f * t, dx = 0.15f - 0.3f * t, dy = 0.1f * t;
            return kind switch
            {
                TransformKind.ThinPlateSpline => identity.Select((p, i) => scale * p + (i % 2 == 0 ? dx : dy)),
                // Row-major 2×3 or the first eight entries of a 3×3 (a small tilt keeps w away from zero).
                _ => identity.Select((p, i) => i switch { 0 or 4 => scale * p, 2 => dx, 5 => dy, 6 => 0.05f * t, _ => p }),
            };
        }),
    ];

    [TestMethod]
    [DataRow(TransformKind.ThinPlateSpline, 1, false, 1, DisplayName = "one thin-plate spline")]
    [DataRow(TransformKind.ThinPlateSpline, 2, false, 1, DisplayName = "two thin-plate splines")]
    [DataRow(TransformKind.Affine, 2, true, 2, DisplayName = "two affine transformers from the moments' view, two looks each")]
    [DataRow(TransformKind.Projective, 3, false, 2, DisplayName = "three projective transformers, two looks each")]
    public void EveryColumnScoresLikeTorchSharp(TransformKind kind, int transformerCount, bool momentNormalisation, int refinementSteps)
    {
        var ml = new MLContext(1);
        var options = ParallelTransformerTests.SmallOptions(transformerCount, kind);
        options.MomentNormalisation = momentNormalisation;
        options.RefinementSteps = refinementSteps;
        var model = Fit(ml, options);
        TrainedModel.SetLocalisationHead(model, Bias(kind, transformerCount));

        var theta = AssertExportMatches(ml, model, transformerCount);
        int length = theta[0].Length / transformerCount;
        for (int t = 1; t < transformerCount; t++)
        {
            double apart = theta.Max(row => Enumerable.Range(0, length).Max(i => Math.Abs(row[i] - row[t * length + i])));
            Assert.IsGreaterThan(0.1, apart, $"transformer {t}'s θ should differ from transformer 0's");
        }
    }

    /// <summary>The baseline of a thin-plate-spline model with two transformers: identity θ blocks, the input read twice.</summary>
    [TestMethod]
    public void TheBaselineOfSeveralTransformersExports()
    {
        var ml = new MLContext(1);
        var options = ParallelTransformerTests.SmallOptions(2, TransformKind.ThinPlateSpline);
        options.UseSpatialTransformer = false;
        var model = Fit(ml, options);
        var theta = AssertExportMatches(ml, model, 2);
        var identity = ThinPlateSplineGrid.IdentityTheta(ControlPointGridSize);
        foreach (var row in theta)
            CollectionAssert.AreEqual(identity.Concat(identity).ToArray(), row, "θ of the baseline: two identity blocks");
    }

    /// <summary>Exports the pipeline, scores the test glyphs both ways, asserts every column, and returns TorchSharp's θ.</summary>
    private static float[][] AssertExportMatches(MLContext ml, ITransformer model, int transformerCount)
    {
        var test = ParallelTransformerTests.Glyphs(ml, 24, 2, 1);
        var scored = model.Transform(test);
        var pixels = test.GetColumn<float[]>("Features").SelectMany(row => row).ToArray();
        var onnx = OnnxRunner.Score(OnnxRunner.Export(ml, model, test), pixels, ParallelTransformerTests.Side * ParallelTransformerTests.Side, test.GetColumn<string>("Label").ToArray());
        var theta = TrainedModel.Vectors(scored, "Theta");
        Assert.HasCount(transformerCount * 4, TrainedModel.Vectors(scored, "BoundingBox")[0], "one box per transformer");
        TrainedModel.AssertSame(theta, OnnxRunner.Floats(onnx["Theta.output"]), 1e-4, "θ");
        TrainedModel.AssertSame(TrainedModel.Vectors(scored, "BoundingBox"), OnnxRunner.Floats(onnx["BoundingBox.output"]), 1e-4 * ParallelTransformerTests.Side, "bounding box");
        TrainedModel.AssertSame(TrainedModel.Vectors(scored, TrainedModel.RectifiedColumn), OnnxRunner.Floats(onnx[TrainedModel.RectifiedColumn + ".output"]),
            255 * 1e-4, "rectified image");
        TrainedModel.AssertSame(TrainedModel.Vectors(scored, "Score"), OnnxRunner.Floats(onnx["Score.output"]), 1e-4, "Score");
        CollectionAssert.AreEqual(TrainedModel.Keys(scored, "PredictedLabel"), onnx["PredictedLabel.output"].Select(r => ((uint[])r).Single()).ToArray(),
            "PredictedLabel keys");
        return theta;
    }
}
