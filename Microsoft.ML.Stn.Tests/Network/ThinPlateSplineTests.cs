using Microsoft.ML.Stn.Network;
using static Microsoft.ML.Stn.Tests.Network.NetworkTestHelpers;
using static TorchSharp.torch;

namespace Microsoft.ML.Stn.Tests.Network;

/// <summary>The thin-plate-spline grid generator against exact identities, a hand-computed spline and Kornia's formula.</summary>
[TestClass]
public sealed class ThinPlateSplineTests
{
    /// <summary>Targets = control points of a K×K grid (computed in double, rounded once to <paramref name="dtype"/>), repeated for a batch.</summary>
    private static Tensor IdentityTargets(int k, int batch, ScalarType dtype)
    {
        var points = new double[2 * k * k];
        for (int i = 0; i < k; i++)
        {
            for (int j = 0; j < k; j++)
            {
                points[2 * (i * k + j)] = -1.0 + 2.0 * j / (k - 1);
                points[2 * (i * k + j) + 1] = -1.0 + 2.0 * i / (k - 1);
            }
        }

        return tensor(points, dtype: ScalarType.Float64).to(dtype).reshape(1, k * k, 2).repeat(batch, 1, 1);
    }

    /// <summary>
    /// The identity spline gives bit for bit the identity affine grid, so the output is the input as exactly as the
    /// sampler reproduces it at all: to round-off in float64 (in float32 the pixel centres themselves round, see
    /// <see cref="WorkedExampleTests"/>).
    /// </summary>
    [TestMethod]
    [DataRow(false)]
    [DataRow(true)]
    public void IdentityTargetsReproduceTheInputExactly(bool alignCorners)
    {
        using var scope = NewDisposeScope();
        using var grid = new ThinPlateSplineGrid(4, 20, 24, alignCorners);
        Assert.AreEqual(0.0, MaxAbsDifference(GridGenerator.Generate(Theta(ScalarType.Float32, 1, 0, 0, 0, 1, 0).repeat(2, 1, 1), 20, 24, alignCorners),
            grid.Generate(IdentityTargets(4, 2, ScalarType.Float32))), "float32 identity grid");
        Assert.AreEqual(0.0, MaxAbsDifference(GridGenerator.Generate(Theta(ScalarType.Float64, 1, 0, 0, 0, 1, 0), 20, 24, alignCorners),
            grid.Generate(IdentityTargets(4, 1, ScalarType.Float64))), "float64 identity grid");
        var input = DistinctImage(2, 3, 20, 24, ScalarType.Float64);
        var output = Sampler.Sample(input, grid.Generate(IdentityTargets(4, 2, ScalarType.Float64)), alignCorners: alignCorners);
        AssertClose(input, output, 1e-9, "identity thin-plate spline");
    }

    [TestMethod]
    [DataRow(2, false)]
    [DataRow(4, false)]
    [DataRow(5, true)]
    public void AffineTargetsGiveTheAffineGrid(int k, bool alignCorners)
    {
        using var scope = NewDisposeScope();
        var theta = tensor(new[] { 0.83, -0.31, 0.12, 0.27, 1.14, -0.08 }, dtype: ScalarType.Float64).reshape(1, 2, 3);
        var sources = IdentityTargets(k, 1, ScalarType.Float64);
        var targets = cat([sources, ones(1, k * k, 1, dtype: ScalarType.Float64)], 2).matmul(theta.transpose(1, 2));
        using var grid = new ThinPlateSplineGrid(k, 9, 13, alignCorners);
        AssertClose(GridGenerator.Generate(theta, 9, 13, alignCorners), grid.Generate(targets), 1e-12, "thin-plate spline of affine targets");
    }

    /// <summary>
    /// K = 2: the corners p0 = (−1, −1), p1 = (1, −1), p2 = (−1, 1), p3 = (1, 1). Moving p3 right by δ asks for the
    /// displacement field d with d(p_a) = δ·e3. The side conditions leave the kernel weights w = c·s with
    /// s = (1, −1, −1, 1) (orthogonal to 1, x and y at the corners), and Σ_b U(‖p_a − p_b‖) s_b = s_a(8 ln 8 − 2·4 ln 4) =
    /// 8 ln 2 · s_a. Splitting e3 = ¼s + ¼(1 + x + y) at the corners gives the affine part ¼δ(1 + x + y) and
    /// c = δ / (32 ln 2), so d_x(x, y) = δ[(1 + x + y)/4 + Σ_a s_a U(‖(x, y) − p_a‖) / (32 ln 2)] and d_y = 0.
    /// At the centre every distance is √2, the kernel terms cancel and d_x = δ/4; on the right edge's midpoint the two
    /// kernel terms that remain cancel too and d_x = δ/2; at (½, ½), d_x = δ(½ + (4.5 ln 4.5 − 5 ln 2.5 + ½ ln ½)/(32 ln 2))
    /// = 0.58297 δ.
    /// </summary>
    [TestMethod]
    public void OneDisplacedCornerMatchesTheHandComputedSpline()
    {
        using var scope = NewDisposeScope();
        const double Delta = 0.2;
        var targets = IdentityTargets(2, 1, ScalarType.Float64);
        targets[0, 3, 0] = targets[0, 3, 0] + Delta;
        // alignCorners with 5 pixels puts the sample points at −1, −½, 0, ½, 1.
        using var generator = new ThinPlateSplineGrid(2, 5, 5, alignCorners: true);
        var grid = generator.Generate(targets);

        double[] coordinates = [-1, -0.5, 0, 0.5, 1];
        (double X, double Y, double S)[] corners = [(-1, -1, 1), (1, -1, -1), (-1, 1, -1), (1, 1, 1)];
        static double U(double r2) => r2 == 0 ? 0 : r2 * Math.Log(r2);
        for (int i = 0; i < 5; i++)
        {
            for (int j = 0; j < 5; j++)
            {
                double x = coordinates[j], y = coordinates[i];
                double kernel = corners.Sum(p => p.S * U((x - p.X) * (x - p.X) + (y - p.Y) * (y - p.Y)));
                double expectedX = x + Delta * ((1 + x + y) / 4 + kernel / (32 * Math.Log(2)));
                Assert.AreEqual(expectedX, grid[0, i, j, 0].item<double>(), 1e-12, $"x at ({x}, {y})");
                Assert.AreEqual(y, grid[0, i, j, 1].item<double>(), 1e-12, $"y at ({x}, {y})");
            }
        }

        Assert.AreEqual(0 + Delta / 4, grid[0, 2, 2, 0].item<double>(), 1e-12, "centre");
        Assert.AreEqual(1 + Delta / 2, grid[0, 2, 4, 0].item<double>(), 1e-12, "right edge midpoint");
        Assert.AreEqual(0.5 + 0.58297 * Delta, grid[0, 3, 3, 0].item<double>(), 1e-5 * Delta, "(½, ½)");
    }

    /// <summary>
    /// Parity with the thin-plate spline as Kornia implements it (kornia/geometry/transform/thin_plate_spline.py:
    /// <c>_kernel_distance</c> U = ½ d² log(d² + 10⁻⁸), <c>get_tps_transform</c> solving [[K, P], [Pᵀ, 0]]·(w, a) = (dst, 0)
    /// with P = (1, x, y), and <c>warp_points_tps</c> f(v) = a₀ + [a_x a_y]·v + Σ w_i U(‖v − c_i‖)), re-implemented here in
    /// plain double arithmetic with its own elimination. Kornia's basis is half ours, which scales w and leaves f
    /// unchanged, and its 10⁻⁸ guard moves f by far less than the tolerance. Kornia's <c>get_tps_transform</c> measures
    /// its kernel between its two point sets; the reference uses the control points as the kernel centres of both
    /// (Bookstein's system, which Kornia's reduces to when its two sets are the centres).
    /// </summary>
    [TestMethod]
    [DataRow(3, false)]
    [DataRow(4, true)]
    public void MatchesKorniasFormula(int k, bool alignCorners)
    {
        using var scope = NewDisposeScope();
        var random = new Random(5);
        var controlPoints = ThinPlateSplineGrid.IdentityTheta(k).Select(v => (double)v).ToArray();
        var destination = controlPoints.Select(v => v + 0.2 * (random.NextDouble() - 0.5)).ToArray();
        int n = k * k;

        static double KorniaKernel(double squared) => 0.5 * squared * Math.Log(squared + 1e-8);
        var l = new double[n + 3, n + 3];
        var rhs = new double[n + 3, 2];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double dx = controlPoints[2 * i] - controlPoints[2 * j], dy = controlPoints[2 * i + 1] - controlPoints[2 * j + 1];
                l[i, j] = KorniaKernel(dx * dx + dy * dy);
            }

            l[i, n] = l[n, i] = 1;
            l[i, n + 1] = l[n + 1, i] = controlPoints[2 * i];
            l[i, n + 2] = l[n + 2, i] = controlPoints[2 * i + 1];
            rhs[i, 0] = destination[2 * i];
            rhs[i, 1] = destination[2 * i + 1];
        }

        var weights = Solve(l, rhs);
        const int Height = 6, Width = 7;
        using var generator = new ThinPlateSplineGrid(k, Height, Width, alignCorners);
        var grid = generator.Generate(tensor(destination, dtype: ScalarType.Float64).reshape(1, n, 2));
        var points = GridGenerator.TargetGrid(Height, Width, alignCorners, ScalarType.Float64);
        for (int p = 0; p < Height * Width; p++)
        {
            double x = points[p, 0].item<double>(), y = points[p, 1].item<double>();
            for (int axis = 0; axis < 2; axis++)
            {
                double f = weights[n, axis] + weights[n + 1, axis] * x + weights[n + 2, axis] * y;
                for (int i = 0; i < n; i++)
                {
                    double dx = x - controlPoints[2 * i], dy = y - controlPoints[2 * i + 1];
                    f += weights[i, axis] * KorniaKernel(dx * dx + dy * dy);
                }

                Assert.AreEqual(f, grid[0, p / Width, p % Width, axis].item<double>(), 1e-7, $"axis {axis} at ({x}, {y})");
            }
        }
    }

    [TestMethod]
    public void GradientWithRespectToTargetsMatchesFiniteDifferences()
    {
        using var scope = NewDisposeScope();
        const double Step = 1e-6;
        var generator = new Random(3);
        const int K = 3, Height = 9, Width = 11, OutputHeight = 7, OutputWidth = 8;
        var input = tensor(Enumerable.Range(0, 2 * 2 * Height * Width).Select(_ => generator.NextDouble()).ToArray(), dtype: ScalarType.Float64)
            .reshape(2, 2, Height, Width);
        var weights = tensor(Enumerable.Range(0, 2 * 2 * OutputHeight * OutputWidth).Select(_ => generator.NextDouble() - 0.5).ToArray(),
            dtype: ScalarType.Float64).reshape(2, 2, OutputHeight, OutputWidth);
        var targets = (IdentityTargets(K, 2, ScalarType.Float64) * 0.8
            + tensor(Enumerable.Range(0, 2 * K * K * 2).Select(_ => 0.1 * (generator.NextDouble() - 0.5)).ToArray(), dtype: ScalarType.Float64)
                .reshape(2, K * K, 2)).requires_grad_();
        using var tps = new ThinPlateSplineGrid(K, OutputHeight, OutputWidth);
        double Loss() => (Sampler.Sample(input, tps.Generate(targets)) * weights).sum().item<double>();

        using (no_grad())
        {
            var grid = tps.Generate(targets);
            var px = ((grid.select(3, 0) + 1) * Width - 1) / 2;
            var py = ((grid.select(3, 1) + 1) * Height - 1) / 2;
            double margin = Math.Min((px - px.round()).abs().min().item<double>(), (py - py.round()).abs().min().item<double>());
            Assert.IsGreaterThan(1e-3, margin, "a sample point sits on a bilinear kink");
        }

        (Sampler.Sample(input, tps.Generate(targets)) * weights).sum().backward();
        var analytic = targets.grad!.reshape(-1);
        var flat = targets.detach().view(-1);
        double worst = 0, scale = 0;
        for (long i = 0; i < flat.numel(); i++)
        {
            double original = flat[i].item<double>();
            flat[i] = original + Step;
            double plus = Loss();
            flat[i] = original - Step;
            double minus = Loss();
            flat[i] = original;
            double numeric = (plus - minus) / (2 * Step);
            scale = Math.Max(scale, Math.Abs(numeric));
            worst = Math.Max(worst, Math.Abs(numeric - analytic[i].item<double>()));
        }

        Assert.IsGreaterThan(1e-6, scale, "the gradient is trivially zero");
        Assert.IsLessThanOrEqualTo(1e-6, worst / scale, $"relative gradient error {worst / scale:E3}");
    }

    [TestMethod]
    public void EnclosingBoxFollowsTheBentBorder()
    {
        using var scope = NewDisposeScope();
        using var generator = new ThinPlateSplineGrid(3, 12, 12);
        var identity = generator.EnclosingBox(IdentityTargets(3, 1, ScalarType.Float32));
        AssertClose(tensor(new[] { -1f, -1f, 1f, 1f }).reshape(1, 4), identity, 1e-6, "identity box");

        // Pulling the top edge's middle control point upwards bows the top edge out while every corner stays put:
        // a box from the corners alone would miss it.
        var bent = IdentityTargets(3, 1, ScalarType.Float32);
        bent[0, 1, 1] = bent[0, 1, 1] - 0.3f;
        var box = generator.EnclosingBox(bent);
        Assert.AreEqual(-1.3, box[0, 1].item<float>(), 1e-5, "top follows the moved control point");
        // Only y moves, so x is the identity; the bottom edge's fixed control points hold it at 1 up to the spline's
        // slight swing between them.
        Assert.AreEqual(-1.0, box[0, 0].item<float>(), 1e-6, "left");
        Assert.AreEqual(1.0, box[0, 2].item<float>(), 1e-6, "right");
        Assert.AreEqual(1.0, box[0, 3].item<float>(), 1e-3, "bottom");
    }

    [TestMethod]
    public void FreshTransformerStartsAtTheIdentity()
    {
        using var scope = NewDisposeScope();
        using var transformer = new SpatialTransformer(2, 20, 20, 20, 20, TransformKind.ThinPlateSpline, controlPointGridSize: 3);
        var input = DistinctImage(2, 2, 20, 20);
        var (theta, output) = transformer.forward(input);
        CollectionAssert.AreEqual(new long[] { 2, 9, 2 }, theta.shape);
        AssertClose(IdentityTargets(3, 2, ScalarType.Float32), theta, 0, "θ of a fresh transformer");
        var affineIdentity = SpatialTransformer.Warp(input, Theta(ScalarType.Float32, 1, 0, 0, 0, 1, 0).repeat(2, 1, 1), 20, 20);
        Assert.AreEqual(0.0, MaxAbsDifference(affineIdentity, output), "output of a fresh transformer vs the identity affine warp");
    }

    [TestMethod]
    public void GridSizeOutOfRangeIsRefused()
    {
        var small = Assert.Throws<ArgumentException>(() => new ThinPlateSplineGrid(1, 10, 10));
        Assert.AreEqual("controlPointGridSize", small.ParamName);
        var large = Assert.Throws<ArgumentException>(() => new ThinPlateSplineGrid(6, 5, 8));
        Assert.AreEqual("controlPointGridSize", large.ParamName);
        Assert.Contains("5×8", large.Message);
        Assert.Throws<ArgumentException>(() => new SpatialTransformer(1, 20, 20, 4, 4, TransformKind.ThinPlateSpline, controlPointGridSize: 5));
    }

    /// <summary>Solves A·X = B by Gaussian elimination with partial pivoting (A is n×n, B is n×m); both are overwritten.</summary>
    private static double[,] Solve(double[,] a, double[,] b)
    {
        int n = a.GetLength(0), m = b.GetLength(1);
        for (int column = 0; column < n; column++)
        {
            int pivot = Enumerable.Range(column, n - column).MaxBy(r => Math.Abs(a[r, column]));
            for (int c = 0; c < n; c++) (a[column, c], a[pivot, c]) = (a[pivot, c], a[column, c]);
            for (int c = 0; c < m; c++) (b[column, c], b[pivot, c]) = (b[pivot, c], b[column, c]);
            for (int r = 0; r < n; r++)
            {
                if (r == column) continue;
                double factor = a[r, column] / a[column, column];
                for (int c = column; c < n; c++) a[r, c] -= factor * a[column, c];
                for (int c = 0; c < m; c++) b[r, c] -= factor * b[column, c];
            }
        }

        var x = new double[n, m];
        for (int r = 0; r < n; r++)
            for (int c = 0; c < m; c++) x[r, c] = b[r, c] / a[r, r];
        return x;
    }
}
