using Microsoft.ML.Stn.Network;
using static Microsoft.ML.Stn.Tests.Network.NetworkTestHelpers;
using static TorchSharp.torch;

namespace Microsoft.ML.Stn.Tests.Network;

[TestClass]
public sealed class SpatialTransformerTests
{
    [TestMethod]
    public void FreshTransformerIsTheIdentity()
    {
        using var scope = NewDisposeScope();
        manual_seed(41);
        var input = rand(2, 3, 28, 28);
        // The thin-plate spline has no matrix; ThinPlateSplineTests checks its identity.
        foreach (var kind in Enum.GetValues<TransformKind>().Where(k => k != TransformKind.ThinPlateSpline))
        {
            foreach (bool alignCorners in new[] { false, true })
            {
                using var stn = new SpatialTransformer(3, 28, 28, 28, 28, kind, alignCorners: alignCorners);
                Assert.AreEqual(kind, stn.Kind);
                var (theta, output) = stn.forward(input);
                int rows = TransformParameterisation.MatrixRows(kind);
                AssertClose(eye(rows, 3).expand(2, rows, 3), theta, 0, $"θ of fresh {kind}");
                AssertClose(input, output, 1e-5, $"V of fresh {kind}, alignCorners={alignCorners}");
            }
        }
    }

    [TestMethod]
    public void ExposesItsConfiguration()
    {
        using var stn = new SpatialTransformer(3, 32, 40, 16, 20, TransformKind.Attention, SamplingMode.Nearest, PaddingMode.Border, alignCorners: true);
        Assert.AreEqual(3, stn.Channels);
        Assert.AreEqual(32, stn.Height);
        Assert.AreEqual(40, stn.Width);
        Assert.AreEqual(16, stn.OutputHeight);
        Assert.AreEqual(20, stn.OutputWidth);
        Assert.AreEqual(SamplingMode.Nearest, stn.Sampling);
        Assert.AreEqual(PaddingMode.Border, stn.Padding);
        Assert.IsTrue(stn.AlignCorners);
        Assert.IsTrue(stn.named_parameters().Any(p => p.name.EndsWith("head.bias", StringComparison.Ordinal)));
    }

    /// <summary>
    /// With a moment view every look reads a view, at the size asked for: the localisation net is built for it and
    /// rejects anything else, so a forward pass shows the looks are sampled at that size. Without a view the first look
    /// is the input itself, so another size is refused.
    /// </summary>
    [TestMethod]
    public void LooksReadTheViewAtItsSize()
    {
        using var scope = NewDisposeScope();
        manual_seed(43);
        using var stn = new SpatialTransformer(1, 32, 32, 21, 21, refinementSteps: 2, momentView: MomentView.InkExtent, viewHeight: 20, viewWidth: 24);
        Assert.AreEqual(20, stn.ViewHeight);
        Assert.AreEqual(24, stn.ViewWidth);
        Assert.AreEqual(20, stn.Localisation.Height);
        Assert.AreEqual(24, stn.Localisation.Width);
        var input = zeros(2, 1, 32, 32);
        input[.., .., 8..20, 10..16] = ones(2, 1, 12, 6);
        var (theta, output) = stn.forward(input);
        AssertClose(MomentNormalisation.StartTheta(input, TransformKind.Affine, false), theta, 1e-6, "a fresh transformer's θ is the view");
        CollectionAssert.AreEqual(new long[] { 2, 1, 21, 21 }, output.shape);
        AssertRejected(() => new SpatialTransformer(1, 32, 32, 21, 21, viewHeight: 21, viewWidth: 21), "input's size 32×32", "not 21×21");
    }

    [TestMethod]
    public void InstanceWarpUsesTheConfiguredOutput()
    {
        using var scope = NewDisposeScope();
        manual_seed(42);
        using var stn = new SpatialTransformer(1, 28, 28, 14, 20);
        var input = rand(2, 1, 28, 28);
        var theta = Theta(ScalarType.Float32, 0.7, 0.2, 0.1, -0.2, 0.7, 0).expand(2, 2, 3);
        AssertClose(SpatialTransformer.Warp(input, theta, 14, 20), stn.Warp(input, theta), 0, "instance vs static warp");
    }

    private static void AssertRejected(Action action, string expected, string actual)
    {
        var error = Assert.Throws<ArgumentException>(action);
        Assert.Contains(expected, error.Message);
        Assert.Contains(actual, error.Message);
    }

    [TestMethod]
    public void BadInputIsRejectedWithBothShapes()
    {
        using var scope = NewDisposeScope();
        using var stn = new SpatialTransformer(1, 28, 28, 28, 28);
        var theta = Theta(ScalarType.Float32, 1, 0, 0, 0, 1, 0).expand(2, 2, 3);

        AssertRejected(() => stn.forward(zeros(3, 28, 28)), "[N, 1, 28, 28]", "[3, 28, 28]");
        AssertRejected(() => stn.forward(zeros(2, 3, 28, 28)), "[N, 1, 28, 28]", "[2, 3, 28, 28]");
        AssertRejected(() => stn.forward(zeros(2, 1, 28, 20)), "[N, 1, 28, 28]", "[2, 1, 28, 20]");
        AssertRejected(() => stn.Warp(zeros(2, 3, 28, 28), theta), "[N, 1, 28, 28]", "[2, 3, 28, 28]");
        AssertRejected(() => stn.Localisation.forward(zeros(2, 28, 28)), "[N, 1, 28, 28]", "[2, 28, 28]");

        AssertRejected(() => SpatialTransformer.Warp(zeros(1, 28, 28), theta, 28, 28), "[N, C, H, W]", "[1, 28, 28]");
        AssertRejected(() => SpatialTransformer.Warp(zeros(2, 1, 28, 28), theta, 0, 28), "[H' > 0, W' > 0]", "[0, 28]");
        AssertRejected(() => SpatialTransformer.Warp(zeros(2, 1, 28, 28), theta, 28, -1), "[H' > 0, W' > 0]", "[28, -1]");
        AssertRejected(() => SpatialTransformer.Warp(zeros(2, 1, 28, 28), zeros(2, 3, 2), 28, 28), "[2, 2, 3] or [2, 3, 3]", "[2, 3, 2]");
        AssertRejected(() => SpatialTransformer.Warp(zeros(2, 1, 28, 28), zeros(3, 2, 3), 28, 28), "[2, 2, 3] or [2, 3, 3]", "[3, 2, 3]");
        AssertRejected(() => SpatialTransformer.Warp(zeros(2, 1, 28, 28), zeros(2, 6), 28, 28), "[2, 2, 3] or [2, 3, 3]", "[2, 6]");
        AssertRejected(() => GridGenerator.Generate(zeros(2, 2, 2), 28, 28), "[N, 2, 3] or [N, 3, 3]", "[2, 2, 2]");
        AssertRejected(() => GridGenerator.Generate(theta, 0, 0), "[H' > 0, W' > 0]", "[0, 0]");
        AssertRejected(() => Sampler.Sample(zeros(2, 1, 28, 28), zeros(2, 28, 28, 3)), "[2, H', W', 2]", "[2, 28, 28, 3]");
        AssertRejected(() => new SpatialTransformer(1, 28, 28, 0, 14), "[H' > 0, W' > 0]", "[0, 14]");
    }
}
