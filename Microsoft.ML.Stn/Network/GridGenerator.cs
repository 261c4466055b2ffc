using static TorchSharp.torch;

namespace Microsoft.ML.Stn.Network;

/// <summary>
/// The grid generator of a spatial transformer: maps every pixel of the H′×W′ output through θ to the
/// normalised source coordinate the sampler reads. The result has the layout of PyTorch's <c>affine_grid</c>.
/// </summary>
/// <remarks>
/// <para>
/// Normalised coordinates run from −1 (left / top) to +1 (right / bottom) with x along columns and y along rows,
/// so y points down. Two conventions place the pixels in that range, and the sampler must be told the same one:
/// </para>
/// <list type="bullet">
/// <item><description>
/// <c>alignCorners = false</c> (the default, as in the PyTorch spatial transformer tutorial): ±1 are the outer
/// edges of the border pixels, so pixel j of W′ has its centre at x_j = (2j + 1)/W′ − 1. This makes the grid
/// independent of resolution, which matters when H′×W′ differs from H×W.
/// </description></item>
/// <item><description>
/// <c>alignCorners = true</c>: ±1 are the centres of the border pixels, x_j = −1 + 2j/(W′ − 1); a single pixel
/// (W′ = 1) sits at 0.
/// </description></item>
/// </list>
/// </remarks>
public static class GridGenerator
{
    /// <summary>
    /// The homogeneous target grid: row i·W′ + j is (x_j, y_i, 1) under the chosen convention.
    /// </summary>
    /// <param name="outputHeight">H′, at least 1.</param>
    /// <param name="outputWidth">W′, at least 1.</param>
    /// <param name="alignCorners">The pixel-placement convention described on <see cref="GridGenerator"/>.</param>
    /// <param name="dtype">Floating-point type of the grid, normally θ's.</param>
    /// <param name="device">Device of the grid, normally θ's.</param>
    /// <returns>A tensor of shape [H′·W′, 3].</returns>
    /// <exception cref="ArgumentException">An output size is not positive.</exception>
    public static Tensor TargetGrid(int outputHeight, int outputWidth, bool alignCorners, ScalarType dtype, Device? device = null)
    {
        ValidateOutputSize(outputHeight, outputWidth);
        using var scope = NewDisposeScope();
        var xs = Coordinates(outputWidth, alignCorners, dtype, device);
        var ys = Coordinates(outputHeight, alignCorners, dtype, device);
        var x = xs.unsqueeze(0).expand(outputHeight, outputWidth);
        var y = ys.unsqueeze(1).expand(outputHeight, outputWidth);
        var grid = stack([x, y, ones_like(x)], 2).reshape(outputHeight * (long)outputWidth, 3);
        return grid.MoveToOuterDisposeScope();
    }

    /// <summary>Maps the H′×W′ target grid through θ to normalised source coordinates.</summary>
    /// <param name="theta">θ of shape [N, 2, 3] (affine) or [N, 3, 3] (homography, followed by the perspective divide).</param>
    /// <param name="outputHeight">H′, at least 1.</param>
    /// <param name="outputWidth">W′, at least 1.</param>
    /// <param name="alignCorners">The pixel-placement convention described on <see cref="GridGenerator"/>.</param>
    /// <returns>The sampling grid of shape [N, H′, W′, 2]; the last dimension is (x, y).</returns>
    /// <exception cref="ArgumentException">θ has the wrong shape or an output size is not positive.</exception>
    public static Tensor Generate(Tensor theta, int outputHeight, int outputWidth, bool alignCorners = false)
    {
        ArgumentNullException.ThrowIfNull(theta);
        ValidateTheta(theta, -1);
        ValidateOutputSize(outputHeight, outputWidth);

        using var scope = NewDisposeScope();
        long n = theta.shape[0];
        var target = DeviceConstants.Get(nameof(TargetGrid), outputHeight, outputWidth, alignCorners, theta.dtype, theta.device,
            () => TargetGrid(outputHeight, outputWidth, alignCorners, theta.dtype));
        var source = target.unsqueeze(0).matmul(theta.transpose(1, 2));
        if (theta.shape[1] == 3)
        {
            // A zero w sends the point to infinity, which grid_sample treats as out of bounds; we leave it so
            // rather than clamping, which would silently change the gradient.
            source = source.narrow(2, 0, 2) / source.narrow(2, 2, 1);
        }

        return source.reshape(n, outputHeight, outputWidth, 2).MoveToOuterDisposeScope();
    }

    /// <summary>Throws unless θ is [N, 2, 3] or [N, 3, 3], with N equal to <paramref name="batch"/> when it is non-negative.</summary>
    internal static void ValidateTheta(Tensor theta, long batch)
    {
        var shape = theta.shape;
        bool ok = shape.Length == 3 && (shape[1] == 2 || shape[1] == 3) && shape[2] == 3 && (batch < 0 || shape[0] == batch);
        if (!ok)
        {
            string n = batch < 0 ? "N" : batch.ToString(System.Globalization.CultureInfo.InvariantCulture);
            throw new ArgumentException($"expected theta of shape [{n}, 2, 3] or [{n}, 3, 3], got {ShapeText.Of(shape)}", nameof(theta));
        }

        if (!theta.is_floating_point())
        {
            throw new ArgumentException($"expected theta of a floating-point type, got {theta.dtype}", nameof(theta));
        }
    }

    /// <summary>Throws unless both output sizes are positive.</summary>
    internal static void ValidateOutputSize(int outputHeight, int outputWidth)
    {
        if (outputHeight <= 0 || outputWidth <= 0)
        {
            throw new ArgumentException(
                $"expected a positive output size [H' > 0, W' > 0], got [{outputHeight}, {outputWidth}]",
                outputHeight <= 0 ? nameof(outputHeight) : nameof(outputWidth));
        }
    }

    /// <summary>The normalised coordinates of the pixel centres along one side of <paramref name="size"/> pixels.</summary>
    internal static Tensor Coordinates(int size, bool alignCorners, ScalarType dtype, Device? device)
    {
        // Computed in double and rounded once, so that low-precision grids are as close to the exact pixel
        // positions as their dtype allows; otherwise the identity θ would already blur float32 images.
        var coordinates = new double[size];
        for (int j = 0; j < size; j++)
        {
            coordinates[j] = alignCorners
                ? (size == 1 ? 0.0 : -1.0 + 2.0 * j / (size - 1))
                : (2.0 * j + 1.0) / size - 1.0;
        }

        return tensor(coordinates, dtype: dtype, device: device);
    }
}
