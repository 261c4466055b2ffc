using Microsoft.ML.Stn.Network;
using static TorchSharp.torch;

namespace Microsoft.ML.Stn.Tests.Network;

[TestClass]
public sealed class BoundingBoxTests
{
    private static float[] Box(double[] theta, int rows, int outputSide, int inputSide, bool alignCorners)
    {
        using var scope = NewDisposeScope();
        var t = tensor(theta, [1, rows, 3], ScalarType.Float64);
        var box = BoundingBox.FromTheta(t, outputSide, outputSide, inputSide, inputSide, alignCorners);
        return box.to_type(ScalarType.Float32).data<float>().ToArray();
    }

    private static void AssertBox(float[] expected, float[] actual)
    {
        Assert.HasCount(4, actual);
        for (int k = 0; k < 4; k++) Assert.AreEqual(expected[k], actual[k], 1e-5, $"box slot {k}");
    }

    [TestMethod]
    [DataRow(false)]
    [DataRow(true)]
    public void IdentityCoversTheWholeInput(bool alignCorners)
    {
        AssertBox([0, 0, 28, 28], Box([1, 0, 0, 0, 1, 0], 2, 28, 28, alignCorners));
    }

    [TestMethod]
    public void HalfScaleShiftedRightIsTheRightHalfCentre()
    {
        // θ = [[0.5, 0, 0.5], [0, 0.5, 0]]: the output shows x in [0, 1], y in [−0.5, 0.5] of the input, that is
        // columns 14–28 and rows 7–21 of 28 (pixel edges).
        var box = Box([0.5, 0, 0.5, 0, 0.5, 0], 2, 10, 28, alignCorners: false);
        AssertBox([14, 7, 28, 21], box);
    }

    [TestMethod]
    public void AlignedCornersExtendHalfAnOutputPixelBeyondTheCentres()
    {
        // W′ = 5 with aligned corners: the outer edges are at ±(1 + 1/4) = ±1.25; half scale maps them to ±0.625, and
        // input W = 9 aligned: px = (x + 1)·4 + 0.5, so 2 to 7.
        var box = Box([0.5, 0, 0, 0, 0.5, 0], 2, 5, 9, alignCorners: true);
        AssertBox([2, 2, 7, 7], box);
    }

    [TestMethod]
    public void RotationTakesTheEnclosingBox()
    {
        // 45° at scale 1/√2: the corners land on the edge midpoints of the normalised square, so the box is the input.
        double c = 0.5;
        var box = Box([c, -c, 0, c, c, 0], 2, 16, 16, alignCorners: false);
        for (int k = 0; k < 4; k++) Assert.AreEqual(k < 2 ? 0 : 16, box[k], 1e-5);
    }

    [TestMethod]
    public void ProjectiveCornersAreDividedByW()
    {
        // θ = [[1, 0, 0], [0, 1, 0], [0, 0, 2]]: every point is halved, so the box is the central half.
        var box = Box([1, 0, 0, 0, 1, 0, 0, 0, 2], 3, 8, 20, alignCorners: false);
        AssertBox([5, 5, 15, 15], box);
    }
}
