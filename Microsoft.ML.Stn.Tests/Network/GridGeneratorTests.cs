using Microsoft.ML.Stn.Network;
using static Microsoft.ML.Stn.Tests.Network.NetworkTestHelpers;
using static TorchSharp.torch;

namespace Microsoft.ML.Stn.Tests.Network;

[TestClass]
public sealed class GridGeneratorTests
{
    [TestMethod]
    [DataRow(false, 28, 28, 28, 28)]
    [DataRow(true, 28, 28, 28, 28)]
    [DataRow(false, 28, 28, 14, 20)]
    [DataRow(true, 28, 28, 14, 20)]
    [DataRow(false, 9, 5, 1, 1)]
    [DataRow(true, 9, 5, 1, 7)]
    public void MatchesTorchAffineGrid(bool alignCorners, int height, int width, int outputHeight, int outputWidth)
    {
        using var scope = NewDisposeScope();
        manual_seed(21);
        var theta = randn(4, 2, 3);
        var ours = GridGenerator.Generate(theta, outputHeight, outputWidth, alignCorners);
        var reference = nn.functional.affine_grid(theta, [4, 1, outputHeight, outputWidth], alignCorners);
        Assert.AreEqual(4, ours.shape[0]);
        AssertClose(reference, ours, 1e-6, $"grid {height}x{width} -> {outputHeight}x{outputWidth}, alignCorners={alignCorners}");
    }

    [TestMethod]
    public void FollowsThePointDtypeAndConventions()
    {
        using var scope = NewDisposeScope();
        var identity = Theta(ScalarType.Float64, 1, 0, 0, 0, 1, 0);

        var centres = GridGenerator.Generate(identity, 2, 4, alignCorners: false);
        Assert.AreEqual(ScalarType.Float64, centres.dtype);
        // Pixel centres at (2j + 1)/W − 1: −3/4, −1/4, 1/4, 3/4 across and −1/2, 1/2 down.
        CollectionAssert.AreEqual(new[] { -0.75, -0.25, 0.25, 0.75 }, centres[0, 0, .., 0].data<double>().ToArray());
        CollectionAssert.AreEqual(new[] { -0.5, 0.5 }, centres[0, .., 0, 1].data<double>().ToArray());

        var corners = GridGenerator.Generate(identity, 2, 4, alignCorners: true);
        // Corners at −1 + 2j/(W − 1): −1, −1/3, 1/3, 1 across and −1, 1 down.
        var across = corners[0, 0, .., 0].data<double>().ToArray();
        double[] expected = [-1.0, -1.0 / 3.0, 1.0 / 3.0, 1.0];
        for (int j = 0; j < 4; j++)
        {
            Assert.AreEqual(expected[j], across[j], 1e-12);
        }

        CollectionAssert.AreEqual(new[] { -1.0, 1.0 }, corners[0, .., 0, 1].data<double>().ToArray());
    }

    [TestMethod]
    public void OutputSizeMayDifferFromInput()
    {
        using var scope = NewDisposeScope();
        manual_seed(22);
        var input = rand(3, 2, 28, 28);
        var theta = Theta(ScalarType.Float32, 0.8, 0.1, 0.05, -0.1, 0.9, 0).expand(3, 2, 3);
        foreach (var sampling in new[] { SamplingMode.Bilinear, SamplingMode.Nearest, SamplingMode.Bicubic })
        {
            var output = SpatialTransformer.Warp(input, theta, 14, 20, sampling);
            CollectionAssert.AreEqual(new long[] { 3, 2, 14, 20 }, output.shape, sampling.ToString());
        }

        using var stn = new SpatialTransformer(2, 28, 28, 14, 20);
        var (thetaOut, v) = stn.forward(input);
        CollectionAssert.AreEqual(new long[] { 3, 2, 3 }, thetaOut.shape);
        CollectionAssert.AreEqual(new long[] { 3, 2, 14, 20 }, v.shape);

        // With the identity θ a half-resolution grid (align_corners = false) lands midway between source pixel
        // centres, so each output pixel is the mean of a 2×2 source block along the rows.
        var half = SpatialTransformer.Warp(input, Theta(ScalarType.Float32, 1, 0, 0, 0, 1, 0).expand(3, 2, 3), 14, 28);
        var pooled = input.reshape(3, 2, 14, 2, 28).mean([3]);
        AssertClose(pooled, half, 1e-6, "identity at half height averages row pairs");
    }
}
