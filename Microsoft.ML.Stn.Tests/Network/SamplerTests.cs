using Microsoft.ML.Stn.Network;
using static Microsoft.ML.Stn.Tests.Network.NetworkTestHelpers;
using static TorchSharp.torch;

namespace Microsoft.ML.Stn.Tests.Network;

/// <summary>
/// Bilinear and nearest sampling are libtorch's; bicubic is composed in <see cref="Sampler"/>, so it is pinned here
/// by hand-computed values of the Keys kernel (a = −0.75): at fraction 1/2 the taps at offsets −1, 0, 1, 2 weigh
/// w(3/2) = a(27/8 − 45/4 + 12 − 4) = a/8 = −0.09375 and w(1/2) = (a + 2)/8 − (a + 3)/4 + 1 = 0.59375.
/// </summary>
[TestClass]
public sealed class SamplerTests
{
    private const double Far = -0.09375;
    private const double Near = 0.59375;

    /// <summary>One row of 8 pixels with values k² + 1, sampled at a single normalised x.</summary>
    private static double SampleRow(double x, PaddingMode padding, bool alignCorners)
    {
        using var scope = NewDisposeScope();
        var row = (arange(8, dtype: ScalarType.Float64).pow(2) + 1).reshape(1, 1, 1, 8);
        var grid = tensor(new[] { x, 0.0 }, dtype: ScalarType.Float64).reshape(1, 1, 1, 2);
        return Sampler.Sample(row, grid, SamplingMode.Bicubic, padding, alignCorners).item<double>();
    }

    [TestMethod]
    public void BicubicMatchesHandComputedTaps()
    {
        // Pixel 2.5 without aligned corners is x = (2·2.5 + 1)/8 − 1 = −1/4; taps 1..4 hold 2, 5, 10, 17.
        Assert.AreEqual((Far * 2) + (Near * 5) + (Near * 10) + (Far * 17), SampleRow(-0.25, PaddingMode.Zeros, false), 1e-12);

        // Pixel 0.5 is x = −3/4; taps −1..2. Tap −1 is outside: zero padding drops it, border clamps it to
        // pixel 0, and reflection about the outer edge (x = −1/2 in pixels) also lands on pixel 0.
        double inside = (Near * 1) + (Near * 2) + (Far * 5);
        Assert.AreEqual(inside, SampleRow(-0.75, PaddingMode.Zeros, false), 1e-12);
        Assert.AreEqual((Far * 1) + inside, SampleRow(-0.75, PaddingMode.Border, false), 1e-12);
        Assert.AreEqual((Far * 1) + inside, SampleRow(-0.75, PaddingMode.Reflection, false), 1e-12);

        // With aligned corners pixel 0.5 is x = −1 + 0.5·2/7 = −6/7 and reflection is about pixel 0's centre,
        // so tap −1 reads pixel 1.
        Assert.AreEqual((Far * 2) + inside, SampleRow(-6.0 / 7.0, PaddingMode.Reflection, true), 1e-12);
    }

    [TestMethod]
    public void BicubicIdentityAndConstantsAreExact()
    {
        using var scope = NewDisposeScope();
        manual_seed(51);
        var input = rand(2, 3, 12, 10);
        var identity = Theta(ScalarType.Float32, 1, 0, 0, 0, 1, 0).expand(2, 2, 3);
        var theta = Theta(ScalarType.Float32, 0.8, 0.3, 0.2, -0.25, 0.9, -0.1).expand(2, 2, 3);
        var constant = full(2, 3, 12, 10, 0.7f);
        foreach (var padding in Enum.GetValues<PaddingMode>())
        {
            foreach (bool alignCorners in new[] { false, true })
            {
                var same = SpatialTransformer.Warp(input, identity, 12, 10, SamplingMode.Bicubic, padding, alignCorners);
                AssertClose(input, same, 1e-5, $"bicubic identity, {padding}, alignCorners={alignCorners}");
                if (padding != PaddingMode.Zeros)
                {
                    // The kernel sums to one, so without zeros entering from outside a constant stays constant.
                    var flat = SpatialTransformer.Warp(constant, theta, 9, 8, SamplingMode.Bicubic, padding, alignCorners);
                    AssertClose(full(2, 3, 9, 8, 0.7f), flat, 1e-5, $"bicubic constant, {padding}, alignCorners={alignCorners}");
                }
            }
        }
    }

    [TestMethod]
    public void NearestReadsTheClosestPixel()
    {
        using var scope = NewDisposeScope();
        var input = DistinctImage(1, 1, 4, 4);
        // Pixel coordinates (1.4, 2.3) without aligned corners: x = (2·1.4 + 1)/4 − 1 = −0.05, y = (2·2.3 + 1)/4 − 1 = 0.4.
        var grid = tensor(new[] { -0.05f, 0.4f }).reshape(1, 1, 1, 2);
        Assert.AreEqual(input[0, 0, 2, 1].item<float>(), Sampler.Sample(input, grid, SamplingMode.Nearest).item<float>());
    }
}
