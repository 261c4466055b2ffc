using EndToEndSweep;

namespace Microsoft.ML.Stn.Tests.MLNet;

/// <summary>
/// The proof that the spatial transformer earns its place, on glyphs at random rotation (±60°), scale (0.7–1.3) and
/// position on a canvas twice the glyph size: StnClassify beats the same classifier without it on held-out data with
/// the same data and epochs, and its warp undoes the distortion: the rectified glyphs' centroids spread less within a
/// class, and the rotation left after the warp (the known distortion composed with the learned θ) spreads less within
/// a class.
/// The scenarios live in examples/EndToEndSweep, which runs them over seeds and CPU kernel sets; the bounds here are
/// taken from that sweep (README, "End-to-end tests") with a margin.
/// </summary>
[TestClass]
public sealed class EndToEndTests
{
    [TestMethod]
    public void SpatialTransformerBeatsTheBaselineAndCentresTheGlyphs()
    {
        var result = Scenarios.Centring(seed: 1);
        Console.WriteLine($"accuracy: StnClassify {result.Accuracy:P1}, baseline {result.BaselineAccuracy:P1}; " +
            $"centroid spread within a class: inputs {result.Before:F2} px, rectified {result.After:F2} px");
        Assert.IsGreaterThanOrEqualTo(result.BaselineAccuracy + 0.03, result.Accuracy,
            $"StnClassify {result.Accuracy:P1} must clearly beat the baseline {result.BaselineAccuracy:P1}");
        // Over seeds 1–3 and both kernel sets (examples/EndToEndSweep, README): ratio 0.07–0.08, 12–16 points over
        // the baseline; moment normalisation centres each glyph's ink, and the warp keeps it there.
        Assert.IsLessThan(0.1 * result.Before, result.After,
            $"centroid spread: inputs {result.Before:F2} px, rectified {result.After:F2} px");

        // The pose from the known distortion, mean over classes. Over the same sweep: rotation 0.04–0.27, size
        // 0.14–0.15, position 0.08–0.13 (the radius-of-gyration view: 0.07–0.17, 0.07–0.12, 0.04–0.09;
        // without moment normalisation: 0.29–0.55, 0.31–0.41, 0.15–0.21; the classic transformer: 0.96–0.99,
        // 0.46–0.58, 0.29–0.34).
        var pose = result.Pose!.Value;
        Console.WriteLine($"pose left after the warp: rotation {pose.RotationLeft:F2}, size {pose.Size:F2}, position {pose.Position:F2}");
        Assert.IsLessThan(0.3, pose.RotationLeft, $"rotation left {pose.RotationLeft:F2}");
        Assert.IsLessThan(0.2, pose.Size, $"size spread left {pose.Size:F2}");
        Assert.IsLessThan(0.15, pose.Position, $"position spread left {pose.Position:F2}");
    }

    [TestMethod]
    public void SpatialTransformerLearnsToUndoRotation()
    {
        var result = Scenarios.Rotation(seed: 1);
        Console.WriteLine($"accuracy {result.Accuracy:P1}; rotation spread within a class: applied {result.Before:F1}°, " +
            $"left after the warp {result.After:F1}°");
        // Default options. Over seeds 1–3 and both kernel sets (examples/EndToEndSweep, README): 0.03–0.32× at 100 %
        // (AVX2 seed 1, which this test runs there, 0.32×; the radius-of-gyration view 0.13–0.31×, without moment
        // normalisation 0.07–0.22×). The classic transformer needed the classifier at 0.0001 and the localisation net at
        // 0.001 to reach 0.55–0.63×, so 0.4× still tells them apart with room for other machines' kernels.
        Assert.IsLessThan(0.4 * result.Before, result.After,
            $"rotation spread within a class: applied {result.Before:F1}°, left after the warp {result.After:F1}°");
        Assert.IsGreaterThan(0.95, result.Accuracy, "undoing rotation must not cost the classification");
    }
}
