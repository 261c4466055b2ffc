using static TorchSharp.torch;

namespace Microsoft.ML.Stn.Network;

/// <summary>
/// Classic moment normalisation as the localisation net's starting view: a square view centred on the input's centre of
/// mass, whose half side is <see cref="ViewRadii"/> radii of gyration, so that objects of any position and size arrive
/// centred and at about one size before the net regresses its correction.
/// </summary>
/// <remarks>
/// <para>
/// The mass is the input's positive values summed over channels: ink on the black (zero) background that the zero
/// padding also assumes. An all-zero input has no centre, so its view is the whole input.
/// </para>
/// <para>
/// The view is of the family of every matrix kind it starts (a shift and one scale), except
/// <see cref="TransformKind.Translation"/>, whose view is the shift alone, so that θ stays a translation.
/// The view is computed from the pixels only and carries no gradient: the input has none to give.
/// </para>
/// </remarks>
public static class MomentNormalisation
{
    /// <summary>
    /// Half side of the view in radii of gyration. A uniform square of half side a has a radius of gyration of 0.82 a,
    /// so the view frames it with about 40 % to spare. Measured on distorted Fashion-MNIST (README).
    /// </summary>
    public const float ViewRadii = 1.7f;

    /// <summary>The view's half side, in halves of the input, never exceeds this: the view starts within the input.</summary>
    public const float MaximumScale = 1f;

    /// <summary>The view's half side is at least this many input pixels, so that a single bright pixel gives a usable view.</summary>
    public const float MinimumHalfSidePixels = 1f;

    /// <summary>The starting θ of each input.</summary>
    /// <param name="input">U of shape [N, C, H, W].</param>
    /// <param name="kind">The matrix kind θ belongs to.</param>
    /// <param name="alignCorners">The pixel-placement convention (see <see cref="GridGenerator"/>).</param>
    /// <returns>θ of shape [N, 2, 3], or [N, 3, 3] for <see cref="TransformKind.Projective"/>.</returns>
    /// <exception cref="ArgumentException"><paramref name="kind"/> has no matrix.</exception>
    public static Tensor StartTheta(Tensor input, TransformKind kind, bool alignCorners)
    {
        int rows = TransformParameterisation.MatrixRows(kind);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        int height = (int)input.shape[2], width = (int)input.shape[3];
        var mass = input.sum(1).clamp_min(0);
        var alongX = mass.sum(1);
        var alongY = mass.sum(2);
        var total = alongX.sum(1);
        var hasMass = total > 0;
        var divisor = where(hasMass, total, ones_like(total));
        var xs = PixelCentres(width, alignCorners, input.dtype, input.device);
        var ys = PixelCentres(height, alignCorners, input.dtype, input.device);
        var centreX = (alongX * xs).sum(1) / divisor;
        var centreY = (alongY * ys).sum(1) / divisor;
        Tensor scale;
        if (kind == TransformKind.Translation)
        {
            scale = ones_like(total);
        }
        else
        {
            var spread = (alongX * xs * xs).sum(1) / divisor - centreX * centreX + (alongY * ys * ys).sum(1) / divisor - centreY * centreY;
            var minimum = MinimumScale(height, width, alignCorners);
            var fitted = (spread.clamp_min(0).sqrt() * ViewRadii).clamp(minimum, MaximumScale);
            scale = where(hasMass, fitted, ones_like(fitted));
        }

        var zero = zeros_like(scale);
        var entries = new List<Tensor> { scale, zero, centreX, zero, scale, centreY };
        if (rows == 3)
            entries.AddRange([zero, zero, ones_like(scale)]);
        return stack(entries, 1).view(-1, rows, 3).MoveToOuterDisposeScope();
    }

    /// <summary>The smallest scale: <see cref="MinimumHalfSidePixels"/> in normalised units of the smaller side.</summary>
    internal static float MinimumScale(int height, int width, bool alignCorners)
    {
        int side = Math.Min(height, width);
        float halfSide = alignCorners ? Math.Max(side - 1, 1) / 2f : side / 2f;
        return Math.Min(MinimumHalfSidePixels / halfSide, MaximumScale);
    }

    private static Tensor PixelCentres(int size, bool alignCorners, ScalarType dtype, Device device) =>
        DeviceConstants.Get(nameof(MomentNormalisation), 1, size, alignCorners, dtype, device,
            () => GridGenerator.Coordinates(size, alignCorners, dtype, null));
}
