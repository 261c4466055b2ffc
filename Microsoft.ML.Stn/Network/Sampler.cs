using static TorchSharp.torch;

namespace Microsoft.ML.Stn.Network;

/// <summary>
/// The sampler of a spatial transformer: reads the input U [N, C, H, W] at the normalised source coordinates of a
/// grid [N, H′, W′, 2] produced by <see cref="GridGenerator"/>, giving V [N, C, H′, W′].
/// </summary>
/// <remarks>
/// Bilinear and nearest sampling use libtorch's <c>grid_sample</c>. TorchSharp's binding cannot select libtorch's
/// bicubic mode, so bicubic sampling is composed here from differentiable tensor operations, following the same
/// conventions as libtorch (Keys kernel with a = −0.75, padding applied to each of the sixteen taps).
/// </remarks>
public static class Sampler
{
    private const double CubicA = -0.75;

    /// <summary>Samples <paramref name="input"/> at <paramref name="grid"/>.</summary>
    /// <param name="input">U of shape [N, C, H, W].</param>
    /// <param name="grid">Normalised (x, y) source coordinates of shape [N, H′, W′, 2], same dtype as <paramref name="input"/>.</param>
    /// <param name="sampling">Interpolation mode.</param>
    /// <param name="padding">What out-of-range coordinates read.</param>
    /// <param name="alignCorners">Must match the convention the grid was generated with (see <see cref="GridGenerator"/>).</param>
    /// <returns>V of shape [N, C, H′, W′].</returns>
    /// <exception cref="ArgumentException">The input or the grid has the wrong shape.</exception>
    public static Tensor Sample(Tensor input, Tensor grid, SamplingMode sampling = SamplingMode.Bilinear, PaddingMode padding = PaddingMode.Zeros, bool alignCorners = false)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(grid);
        if (input.dim() != 4)
        {
            throw new ArgumentException($"expected input of shape [N, C, H, W], got {ShapeText.Of(input.shape)}", nameof(input));
        }

        long n = input.shape[0];
        if (grid.dim() != 4 || grid.shape[0] != n || grid.shape[3] != 2)
        {
            throw new ArgumentException($"expected grid of shape [{n}, H', W', 2], got {ShapeText.Of(grid.shape)}", nameof(grid));
        }

        if (grid.dtype != input.dtype)
        {
            throw new ArgumentException($"expected grid of type {input.dtype} like the input, got {grid.dtype}", nameof(grid));
        }

        return sampling switch
        {
            SamplingMode.Bilinear => nn.functional.grid_sample(input, grid, GridSampleMode.Bilinear, ToTorch(padding), alignCorners),
            SamplingMode.Nearest => nn.functional.grid_sample(input, grid, GridSampleMode.Nearest, ToTorch(padding), alignCorners),
            SamplingMode.Bicubic => SampleBicubic(input, grid, padding, alignCorners),
            _ => throw new ArgumentOutOfRangeException(nameof(sampling), sampling, $"unknown sampling mode {sampling}"),
        };
    }

    private static GridSamplePaddingMode ToTorch(PaddingMode padding) => padding switch
    {
        PaddingMode.Zeros => GridSamplePaddingMode.Zeros,
        PaddingMode.Border => GridSamplePaddingMode.Border,
        PaddingMode.Reflection => GridSamplePaddingMode.Reflection,
        _ => throw new ArgumentOutOfRangeException(nameof(padding), padding, $"unknown padding mode {padding}"),
    };

    private static Tensor SampleBicubic(Tensor input, Tensor grid, PaddingMode padding, bool alignCorners)
    {
        using var scope = NewDisposeScope();
        long n = input.shape[0], c = input.shape[1], h = input.shape[2], w = input.shape[3];
        long outH = grid.shape[1], outW = grid.shape[2], count = outH * outW;

        var x = ToPixels(grid.select(3, 0), w, alignCorners);
        var y = ToPixels(grid.select(3, 1), h, alignCorners);
        var x0 = x.floor();
        var y0 = y.floor();
        var wx = CubicWeights(x - x0);
        var wy = CubicWeights(y - y0);
        var flat = input.reshape(n, c, h * w);

        var columns = new (Tensor Index, Tensor Mask)[4];
        for (int i = 0; i < 4; i++)
            columns[i] = Tap(x0.Plus(i - 1), w, padding, alignCorners);
        Tensor? output = null;
        for (int j = 0; j < 4; j++)
        {
            var (row, rowMask) = Tap(y0.Plus(j - 1), h, padding, alignCorners);
            var rowStart = row.Times(w);
            for (int i = 0; i < 4; i++)
            {
                var (column, columnMask) = columns[i];
                var index = rowStart.Plus(column).reshape(n, 1, count).expand(n, c, count);
                var values = flat.gather(2, index).reshape(n, c, outH, outW);
                var term = values * (wx[i] * wy[j] * rowMask * columnMask).unsqueeze(1);
                output = output is null ? term : output.Plus(term);
            }
        }

        return output!.MoveToOuterDisposeScope();
    }

    private static Tensor ToPixels(Tensor normalised, long size, bool alignCorners) => alignCorners
        ? normalised.Plus(1.0).Times((size - 1) / 2.0)
        : normalised.Plus(1.0).Times(size).Minus(1.0).DividedBy(2.0);

    /// <summary>Keys cubic-convolution weights of the taps at offsets −1, 0, 1, 2 from the floor, for fraction t.</summary>
    private static Tensor[] CubicWeights(Tensor t)
    {
        static Tensor Near(Tensor d) => (d.Times(CubicA + 2.0).Minus(CubicA + 3.0) * d * d).Plus(1.0);
        static Tensor Far(Tensor d) => ((d.Times(CubicA).Minus(5.0 * CubicA) * d).Plus(8.0 * CubicA) * d).Minus(4.0 * CubicA);
        return [Far(t.Plus(1.0)), Near(t), Near(t.SubtractedFrom(1.0)), Far(t.SubtractedFrom(2.0))];
    }

    /// <summary>
    /// Integer index of a tap after padding, and a 0/1 mask (in the input's dtype) that zeroes taps outside the input
    /// under zero padding.
    /// </summary>
    private static (Tensor Index, Tensor Mask) Tap(Tensor coordinate, long size, PaddingMode padding, bool alignCorners)
    {
        Tensor position = padding switch
        {
            PaddingMode.Zeros => coordinate,
            PaddingMode.Border => coordinate.Clamped(0, size - 1),
            PaddingMode.Reflection => Reflect(coordinate, size, alignCorners).Clamped(0, size - 1),
            _ => throw new ArgumentOutOfRangeException(nameof(padding), padding, $"unknown padding mode {padding}"),
        };
        var inside = position.AtLeast(0).logical_and(position.AtMost(size - 1)).to_type(coordinate.dtype);
        var index = position.Clamped(0, size - 1).to_type(ScalarType.Int64);
        return (index, inside);
    }

    /// <summary>
    /// Reflects coordinates into the input: about the border pixel centres with aligned corners, about the outer
    /// pixel edges otherwise, as libtorch does.
    /// </summary>
    private static Tensor Reflect(Tensor coordinate, long size, bool alignCorners)
    {
        double low = alignCorners ? 0.0 : -0.5;
        double span = alignCorners ? size - 1 : size;
        if (span <= 0)
        {
            return zeros_like(coordinate);
        }

        var distance = coordinate.Minus(low).abs();
        var extra = distance.Fmod(span);
        var even = distance.DividedBy(span).floor().Remainder(2).EqualTo(0);
        return where(even, extra.Plus(low), extra.SubtractedFrom(span).Plus(low));
    }
}
