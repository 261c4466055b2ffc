using Microsoft.ML.Stn.Network;
using static Microsoft.ML.Stn.Tests.Network.NetworkTestHelpers;
using static TorchSharp.torch;

namespace Microsoft.ML.Stn.Tests.Network;

[TestClass]
public sealed class TransformParameterisationTests
{
    private static Tensor Matrix(TransformKind kind, params double[] parameters) =>
        TransformParameterisation.ToMatrix(kind, tensor(parameters, dtype: ScalarType.Float64).reshape(1, parameters.Length));

    private static Tensor Expected(int rows, params double[] entries) =>
        tensor(entries, dtype: ScalarType.Float64).reshape(1, rows, 3);

    [TestMethod]
    public void CountsAndRows()
    {
        Assert.AreEqual(6, TransformParameterisation.ParameterCount(TransformKind.Affine));
        Assert.AreEqual(4, TransformParameterisation.ParameterCount(TransformKind.Similarity));
        Assert.AreEqual(3, TransformParameterisation.ParameterCount(TransformKind.Attention));
        Assert.AreEqual(2, TransformParameterisation.ParameterCount(TransformKind.Translation));
        Assert.AreEqual(8, TransformParameterisation.ParameterCount(TransformKind.Projective));
        Assert.AreEqual(3, TransformParameterisation.MatrixRows(TransformKind.Projective));
        Assert.AreEqual(2, TransformParameterisation.MatrixRows(TransformKind.Similarity));
        Assert.AreEqual(32, TransformParameterisation.ParameterCount(TransformKind.ThinPlateSpline));
        Assert.AreEqual(18, TransformParameterisation.ParameterCount(TransformKind.ThinPlateSpline, 3));
        Assert.AreEqual(9, TransformParameterisation.ThetaLength(TransformKind.Projective));
        Assert.AreEqual(50, TransformParameterisation.ThetaLength(TransformKind.ThinPlateSpline, 5));
        Assert.Throws<ArgumentException>(() => TransformParameterisation.MatrixRows(TransformKind.ThinPlateSpline));
    }

    [TestMethod]
    public void ThinPlateSplineThetaIsTheTargetsPointByPoint()
    {
        using var scope = NewDisposeScope();
        var parameters = arange(2 * 8, dtype: ScalarType.Float64).reshape(2, 8);
        var theta = TransformParameterisation.ToTheta(TransformKind.ThinPlateSpline, parameters, controlPointGridSize: 2);
        CollectionAssert.AreEqual(new long[] { 2, 4, 2 }, theta.shape);
        Assert.AreEqual(2.0, theta[0, 1, 0].item<double>(), "x of point 1");
        Assert.AreEqual(3.0, theta[0, 1, 1].item<double>(), "y of point 1");
        Assert.Throws<ArgumentException>(() => TransformParameterisation.ToMatrix(TransformKind.ThinPlateSpline, parameters));
        CollectionAssert.AreEqual(new[] { -1f, -1f, 1f, -1f, -1f, 1f, 1f, 1f },
            TransformParameterisation.IdentityParameters(TransformKind.ThinPlateSpline, 2), "identity: the corners, row-major");
    }

    [TestMethod]
    public void IdentityParametersGiveIdentityMatrix()
    {
        using var scope = NewDisposeScope();
        foreach (var kind in Enum.GetValues<TransformKind>().Where(k => k != TransformKind.ThinPlateSpline))
        {
            var identity = TransformParameterisation.IdentityParameters(kind);
            Assert.HasCount(TransformParameterisation.ParameterCount(kind), identity);
            var matrix = Matrix(kind, Array.ConvertAll(identity, v => (double)v));
            int rows = TransformParameterisation.MatrixRows(kind);
            AssertClose(eye(rows, 3, dtype: ScalarType.Float64).unsqueeze(0), matrix, 0, kind.ToString());
        }
    }

    [TestMethod]
    public void AffineIsRowMajor()
    {
        using var scope = NewDisposeScope();
        AssertClose(Expected(2, 1, 2, 3, 4, 5, 6), Matrix(TransformKind.Affine, 1, 2, 3, 4, 5, 6), 0, "affine");
    }

    /// <summary>Angle π/2, scale 1 gives [[0, −1, 0], [1, 0, 0]], which rotates the content 90° counter-clockwise on screen (y down).</summary>
    [TestMethod]
    public void SimilarityQuarterTurn()
    {
        using var scope = NewDisposeScope();
        AssertClose(Expected(2, 0, -1, 0, 1, 0, 0), Matrix(TransformKind.Similarity, Math.PI / 2, 1, 0, 0), 1e-15, "angle π/2");
        double c = 2 * Math.Cos(0.3), s = 2 * Math.Sin(0.3);
        AssertClose(Expected(2, c, -s, 0.1, s, c, -0.2), Matrix(TransformKind.Similarity, 0.3, 2, 0.1, -0.2), 1e-15, "angle 0.3, scale 2");
    }

    [TestMethod]
    public void AttentionAndTranslation()
    {
        using var scope = NewDisposeScope();
        AssertClose(Expected(2, 0.5, 0, 0.2, 0, 0.5, -0.3), Matrix(TransformKind.Attention, 0.5, 0.2, -0.3), 0, "attention");
        AssertClose(Expected(2, 1, 0, 0.1, 0, 1, -0.2), Matrix(TransformKind.Translation, 0.1, -0.2), 0, "translation");
    }

    [TestMethod]
    public void ProjectiveWithoutPerspectiveEqualsAffine()
    {
        using var scope = NewDisposeScope();
        double[] affine = [0.9, 0.2, 0.1, -0.15, 1.1, -0.05];
        var homography = Matrix(TransformKind.Projective, [.. affine, 0, 0]);
        AssertClose(Expected(3, [.. affine, 0, 0, 1]), homography, 0, "homography");
        var projectiveGrid = GridGenerator.Generate(homography, 7, 9, alignCorners: false);
        var affineGrid = GridGenerator.Generate(Matrix(TransformKind.Affine, affine), 7, 9, alignCorners: false);
        AssertClose(affineGrid, projectiveGrid, 1e-15, "grid");
    }

    [TestMethod]
    public void ProjectiveAppliesPerspectiveDivide()
    {
        using var scope = NewDisposeScope();
        double[] h = [0.9, 0.2, 0.1, -0.15, 1.1, -0.05, 0.3, -0.2];
        const int outH = 5, outW = 6, row = 3, column = 1;
        var grid = GridGenerator.Generate(Matrix(TransformKind.Projective, h), outH, outW, alignCorners: false);

        double x = (2.0 * column + 1) / outW - 1, y = (2.0 * row + 1) / outH - 1;
        double w = h[6] * x + h[7] * y + 1;
        double xs = (h[0] * x + h[1] * y + h[2]) / w;
        double ys = (h[3] * x + h[4] * y + h[5]) / w;
        Assert.AreEqual(xs, grid[0, row, column, 0].item<double>(), 1e-12);
        Assert.AreEqual(ys, grid[0, row, column, 1].item<double>(), 1e-12);
    }

    [TestMethod]
    public void ParametersOfWrongShapeAreRejected()
    {
        using var scope = NewDisposeScope();
        var error = Assert.Throws<ArgumentException>(() => TransformParameterisation.ToMatrix(TransformKind.Similarity, zeros(2, 6)));
        Assert.Contains("[N, 4]", error.Message);
        Assert.Contains("[2, 6]", error.Message);
    }
}
