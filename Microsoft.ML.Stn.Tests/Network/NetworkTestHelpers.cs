using static TorchSharp.torch;

namespace Microsoft.ML.Stn.Tests.Network;

internal static class NetworkTestHelpers
{
    /// <summary>Largest absolute element-wise difference, in double precision.</summary>
    public static double MaxAbsDifference(Tensor expected, Tensor actual)
    {
        CollectionAssert.AreEqual(expected.shape, actual.shape, $"shape {Shape(expected)} vs {Shape(actual)}");
        using var difference = (expected.to_type(ScalarType.Float64) - actual.to_type(ScalarType.Float64)).abs().max();
        return difference.item<double>();
    }

    public static void AssertClose(Tensor expected, Tensor actual, double tolerance, string what)
    {
        double error = MaxAbsDifference(expected, actual);
        Assert.IsLessThanOrEqualTo(tolerance, error, $"{what}: max abs error {error:E3} exceeds {tolerance:E1}");
    }

    public static string Shape(Tensor t) => "[" + string.Join(", ", t.shape) + "]";

    /// <summary>An image whose every pixel value is distinct: U[n, c, r, k] = ((n·C + c)·H + r)·W + k.</summary>
    public static Tensor DistinctImage(long n, long c, long h, long w, ScalarType dtype = ScalarType.Float32) =>
        arange(n * c * h * w, dtype: dtype).reshape(n, c, h, w);

    /// <summary>θ of shape [1, 2, 3] from its six row-major entries.</summary>
    public static Tensor Theta(ScalarType dtype, params double[] entries) =>
        tensor(entries, dtype: dtype).reshape(1, 2, 3);
}
