using Microsoft.ML.Stn.Network;
using static Microsoft.ML.Stn.Tests.Network.NetworkTestHelpers;
using static TorchSharp.torch;

namespace Microsoft.ML.Stn.Tests.Network;

/// <summary>Pins the coordinate conventions with examples worked out by hand.</summary>
[TestClass]
public sealed class WorkedExampleTests
{
    /// <summary>
    /// Convention (align_corners = false): pixel j of W has its centre at x_j = (2j + 1)/W − 1, x to the right and
    /// y down the rows. θ maps target to source. The θ that rotates the CONTENT 90° clockwise on screen is
    /// θ = [[0, 1, 0], [−1, 0, 0]] (similarity angle −π/2): x_s = y_t, y_s = −x_t. Check: the target pixel right of
    /// centre (x_t = 1, y_t = 0) reads the source at (0, −1), i.e. the top middle, so what was at the top now
    /// appears on the right, which is a clockwise turn.
    /// </summary>
    [TestMethod]
    public void NinetyDegreeClockwiseRotationOn28x28()
    {
        using var scope = NewDisposeScope();
        const int size = 28;
        const int row = 13, column = 5;

        // Target coordinate of output pixel (row 13, column 5):
        //   x_t = (2·5 + 1)/28 − 1 = 11/28 − 28/28 = −17/28
        //   y_t = (2·13 + 1)/28 − 1 = 27/28 − 28/28 = −1/28
        double xt = -17.0 / 28.0;
        double yt = -1.0 / 28.0;
        using var target = GridGenerator.TargetGrid(size, size, alignCorners: false, ScalarType.Float64);
        Assert.AreEqual(xt, target[row * size + column, 0].item<double>(), 1e-15, "the grid generator's x_t of pixel (13, 5)");
        Assert.AreEqual(yt, target[row * size + column, 1].item<double>(), 1e-15, "the grid generator's y_t of pixel (13, 5)");

        // Source coordinate: x_s = 0·x_t + 1·y_t + 0 = −1/28,  y_s = −1·x_t + 0·y_t + 0 = 17/28.
        double xs = -1.0 / 28.0;
        double ys = 17.0 / 28.0;

        // Source pixel, inverting x = (2j + 1)/W − 1, i.e. j = ((x + 1)·W − 1)/2:
        //   column = ((−1/28 + 1)·28 − 1)/2 = (27 − 1)/2 = 13
        //   row    = ((17/28 + 1)·28 − 1)/2 = (45 − 1)/2 = 22
        // Consistent with a clockwise turn, which sends source (r, c) to target (c, W − 1 − r): (22, 13) → (13, 5).
        const int sourceRow = 22, sourceColumn = 13;

        var theta = Theta(ScalarType.Float32, 0, 1, 0, -1, 0, 0);
        var grid = GridGenerator.Generate(theta, size, size, alignCorners: false);
        Assert.AreEqual(xs, grid[0, row, column, 0].item<float>(), 1e-6, "grid x at [0, 13, 5]");
        Assert.AreEqual(ys, grid[0, row, column, 1].item<float>(), 1e-6, "grid y at [0, 13, 5]");

        var input = DistinctImage(1, 1, size, size);
        var output = SpatialTransformer.Warp(input, theta, size, size);
        Assert.AreEqual(
            input[0, 0, sourceRow, sourceColumn].item<float>(),
            output[0, 0, row, column].item<float>(),
            1e-3,
            "V[13, 5] must read U[22, 13]");

        // The whole image obeys the same rule: V[r, c] = U[W − 1 − c, r].
        var expected = input.flip(2).transpose(2, 3);
        AssertClose(expected, output, 1e-3, "clockwise rotation of the whole map");
    }

    /// <summary>
    /// In float64 the identity is exact to 1e-6. In float32 the pixel centres themselves round to about 6e-8, which
    /// the sampler's unnormalisation multiplies by W/2, so the float32 bound is looser.
    /// </summary>
    [TestMethod]
    [DataRow(ScalarType.Float64, 1e-6)]
    [DataRow(ScalarType.Float32, 1e-5)]
    public void IdentityThetaReproducesInput(ScalarType dtype, double tolerance)
    {
        using var scope = NewDisposeScope();
        manual_seed(11);
        var input = rand(2, 3, 28, 28, dtype: dtype);
        var theta = Theta(dtype, 1, 0, 0, 0, 1, 0).expand(2, 2, 3);
        foreach (bool alignCorners in new[] { false, true })
        {
            var output = SpatialTransformer.Warp(input, theta, 28, 28, alignCorners: alignCorners);
            AssertClose(input, output, tolerance, $"identity {dtype}, alignCorners={alignCorners}");
        }
    }

    /// <summary>
    /// A translation of tx = 2k/W in normalised units makes output column j read source column j + k, so the content
    /// moves k pixels to the left (and up for ty); the k columns uncovered on the right read zero padding.
    /// </summary>
    [TestMethod]
    public void IntegerTranslationShiftsByWholePixels()
    {
        using var scope = NewDisposeScope();
        // Powers of two keep 2k/W and every pixel centre exact in float32, so the shift is exact too.
        const int h = 16, w = 32, k = 3, m = 2;
        var input = DistinctImage(1, 2, h, w);

        var horizontal = SpatialTransformer.Warp(input, Theta(ScalarType.Float32, 1, 0, 2.0 * k / w, 0, 1, 0), h, w);
        AssertClose(input.narrow(3, k, w - k), horizontal.narrow(3, 0, w - k), 0, "shift left by k");
        AssertClose(zeros(1, 2, h, k), horizontal.narrow(3, w - k, k), 0, "uncovered columns");

        var vertical = SpatialTransformer.Warp(input, Theta(ScalarType.Float32, 1, 0, 0, 0, 1, -2.0 * m / h), h, w);
        AssertClose(input.narrow(2, 0, h - m), vertical.narrow(2, m, h - m), 0, "shift down by m");
        AssertClose(zeros(1, 2, m, w), vertical.narrow(2, 0, m), 0, "uncovered rows");
    }

    [TestMethod]
    public void FourQuarterTurnsReturnTheInput()
    {
        using var scope = NewDisposeScope();
        manual_seed(12);
        var input = rand(2, 3, 28, 28);
        foreach (bool alignCorners in new[] { false, true })
        {
            var quarter = TransformParameterisation.ToMatrix(
                TransformKind.Similarity, tensor(new float[] { MathF.PI / 2, 1, 0, 0, MathF.PI / 2, 1, 0, 0 }).reshape(2, 4));
            var output = input;
            for (int turn = 0; turn < 4; turn++)
            {
                output = SpatialTransformer.Warp(output, quarter, 28, 28, alignCorners: alignCorners);
            }

            AssertClose(input, output, 1e-5, $"four quarter turns, alignCorners={alignCorners}");
        }
    }
}
