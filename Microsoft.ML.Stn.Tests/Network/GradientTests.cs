using Microsoft.ML.Stn.Network;
using TorchSharp;
using static Microsoft.ML.Stn.Tests.Network.NetworkTestHelpers;
using static TorchSharp.torch;

namespace Microsoft.ML.Stn.Tests.Network;

/// <summary>
/// Autograd against central finite differences in float64, on the scalar loss L = Σ V·R for a fixed random R.
/// Bilinear sampling has kinks where a sample point crosses an integer pixel coordinate, so every test first
/// asserts that its sample points stay well away from those.
/// </summary>
[TestClass]
public sealed class GradientTests
{
    private const double Step = 1e-6;
    private const double Tolerance = 1e-4;
    private const double KinkMargin = 1e-3;

    private static Tensor TwoThetas() => tensor(
        new[] { 0.992, 0.007, -0.071, 0.011, 0.768, -0.057, 0.937, -0.244, 0.0, 0.121, 0.803, -0.022 },
        dtype: ScalarType.Float64).reshape(2, 2, 3);

    /// <summary>Fails the test if any sample point is within <see cref="KinkMargin"/> pixels of an integer coordinate.</summary>
    private static void AssertAwayFromKinks(Tensor grid, long height, long width, bool alignCorners)
    {
        using var scope = NewDisposeScope();
        var x = grid.select(3, 0);
        var y = grid.select(3, 1);
        var px = alignCorners ? (x + 1) * ((width - 1) / 2.0) : ((x + 1) * width - 1) / 2.0;
        var py = alignCorners ? (y + 1) * ((height - 1) / 2.0) : ((y + 1) * height - 1) / 2.0;
        double distance = Math.Min(
            (px - px.round()).abs().min().item<double>(),
            (py - py.round()).abs().min().item<double>());
        Assert.IsGreaterThan(KinkMargin, distance, $"a sample point is {distance:E2} px from a pixel-grid kink");
    }

    /// <summary>max |analytic − numeric| / max |numeric|.</summary>
    private static void AssertGradientsAgree(double[] analytic, double[] numeric, string what)
    {
        double scale = numeric.Max(Math.Abs);
        Assert.IsGreaterThan(1e-8, scale, $"{what}: gradient is trivially zero");
        double error = analytic.Zip(numeric, (a, n) => Math.Abs(a - n)).Max() / scale;
        Assert.IsLessThanOrEqualTo(Tolerance, error, $"{what}: relative error {error:E3}");
    }

    /// <summary>Central differences of <paramref name="loss"/> in every element of <paramref name="variable"/> (modified in place and restored).</summary>
    private static double[] NumericGradient(Tensor variable, Func<double> loss, IEnumerable<long>? indices = null)
    {
        var flat = variable.view(-1);
        var result = new List<double>();
        foreach (long i in indices ?? Enumerable.Range(0, (int)flat.numel()).Select(i => (long)i))
        {
            using (no_grad())
            {
                flat[i].add_(Step);
            }

            double plus = loss();
            using (no_grad())
            {
                flat[i].sub_(2 * Step);
            }

            double minus = loss();
            using (no_grad())
            {
                flat[i].add_(Step);
            }

            result.Add((plus - minus) / (2 * Step));
        }

        return [.. result];
    }

    [TestMethod]
    [DataRow(SamplingMode.Bilinear, false)]
    [DataRow(SamplingMode.Bilinear, true)]
    [DataRow(SamplingMode.Bicubic, false)]
    public void GradientWithRespectToInput(SamplingMode sampling, bool alignCorners)
    {
        using var scope = NewDisposeScope();
        manual_seed(61);
        var input = rand(2, 2, 6, 7, dtype: ScalarType.Float64).requires_grad_();
        var theta = TwoThetas();
        var weights = randn(2, 2, 5, 4, dtype: ScalarType.Float64);
        AssertAwayFromKinks(GridGenerator.Generate(theta, 5, 4, alignCorners), 6, 7, alignCorners);

        Tensor Loss() => (SpatialTransformer.Warp(input, theta, 5, 4, sampling, PaddingMode.Zeros, alignCorners) * weights).sum();
        Loss().backward();
        var analytic = input.grad!.view(-1).data<double>().ToArray();
        var numeric = NumericGradient(input, () => { using var s = NewDisposeScope(); return Loss().item<double>(); });
        AssertGradientsAgree(analytic, numeric, $"∂L/∂U ({sampling}, alignCorners={alignCorners})");
    }

    [TestMethod]
    [DataRow(SamplingMode.Bilinear, PaddingMode.Zeros, false)]
    [DataRow(SamplingMode.Bilinear, PaddingMode.Border, true)]
    [DataRow(SamplingMode.Bicubic, PaddingMode.Reflection, false)]
    public void GradientWithRespectToTheta(SamplingMode sampling, PaddingMode padding, bool alignCorners)
    {
        using var scope = NewDisposeScope();
        manual_seed(62);
        var input = rand(2, 2, 6, 7, dtype: ScalarType.Float64);
        var theta = TwoThetas().requires_grad_();
        var weights = randn(2, 2, 5, 4, dtype: ScalarType.Float64);
        AssertAwayFromKinks(GridGenerator.Generate(theta, 5, 4, alignCorners), 6, 7, alignCorners);

        Tensor Loss() => (SpatialTransformer.Warp(input, theta, 5, 4, sampling, padding, alignCorners) * weights).sum();
        Loss().backward();
        var analytic = theta.grad!.view(-1).data<double>().ToArray();
        var numeric = NumericGradient(theta, () => { using var s = NewDisposeScope(); return Loss().item<double>(); });
        AssertGradientsAgree(analytic, numeric, $"∂L/∂θ ({sampling}, {padding}, alignCorners={alignCorners})");
    }

    [TestMethod]
    public void GradientWithRespectToHomography()
    {
        using var scope = NewDisposeScope();
        manual_seed(63);
        var input = rand(1, 1, 6, 7, dtype: ScalarType.Float64);
        var parameters = tensor(new[] { 0.83, 0.11, 0.037, -0.07, 0.91, -0.053, 0.12, -0.09 }, dtype: ScalarType.Float64)
            .reshape(1, 8).requires_grad_();
        var weights = randn(1, 1, 5, 4, dtype: ScalarType.Float64);
        AssertAwayFromKinks(
            GridGenerator.Generate(TransformParameterisation.ToMatrix(TransformKind.Projective, parameters), 5, 4), 6, 7, false);

        Tensor Loss() => (SpatialTransformer.Warp(input, TransformParameterisation.ToMatrix(TransformKind.Projective, parameters), 5, 4) * weights).sum();
        Loss().backward();
        var analytic = parameters.grad!.view(-1).data<double>().ToArray();
        var numeric = NumericGradient(parameters, () => { using var s = NewDisposeScope(); return Loss().item<double>(); });
        AssertGradientsAgree(analytic, numeric, "∂L/∂h (projective)");
    }

    /// <summary>
    /// Through the whole module: the head starts at zero weights, which would make every θ constant, so it is
    /// first moved to a non-trivial state with small seeded weights and a bias offset from the identity (which also
    /// keeps the sample points off integer pixel coordinates).
    /// </summary>
    [TestMethod]
    public void GradientWithRespectToLocalisationParameters()
    {
        using var scope = NewDisposeScope();
        manual_seed(64);
        using var stn = new SpatialTransformer(1, 20, 20, 9, 11);
        stn.to(ScalarType.Float64);
        var parameters = stn.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        using (no_grad())
        {
            var headWeight = parameters["localisation.head.weight"];
            headWeight.copy_(randn_like(headWeight) * 0.05);
            parameters["localisation.head.bias"].add_(tensor(new[] { 0.02, 0.03, 0.041, -0.027, 0.015, -0.033 }, dtype: ScalarType.Float64));
        }

        var input = rand(2, 1, 20, 20, dtype: ScalarType.Float64);
        var weights = randn(2, 1, 9, 11, dtype: ScalarType.Float64);
        var (theta, _) = stn.forward(input);
        AssertAwayFromKinks(GridGenerator.Generate(theta.detach(), 9, 11, false), 20, 20, false);

        Tensor Loss() => (stn.forward(input).RectifiedImage * weights).sum();
        stn.zero_grad();
        Loss().backward();

        string[] names =
        [
            "localisation.features.conv1.weight",
            "localisation.features.conv2.bias",
            "localisation.hidden.weight",
            "localisation.head.weight",
            "localisation.head.bias",
        ];
        foreach (string name in names)
        {
            var parameter = parameters[name];
            long count = parameter.numel();
            long[] indices = [0, count / 2, count - 1];
            var gradient = parameter.grad!.view(-1);
            var analytic = indices.Select(i => gradient[i].item<double>()).ToArray();
            var numeric = NumericGradient(parameter, () => { using var s = NewDisposeScope(); return Loss().item<double>(); }, indices);
            AssertGradientsAgree(analytic, numeric, $"∂L/∂{name}");
        }
    }
}
