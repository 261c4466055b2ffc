using static TorchSharp.torch;

namespace Microsoft.ML.Stn.Network;

/// <summary>
/// Classic moment normalisation as the localisation net's starting view: a square view centred on the object and sized
/// by it, read off the input's pixels, so that objects of any position and size arrive centred and at one size before
/// the net regresses its correction (see <see cref="MomentView"/> for the two views).
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
/// <para>
/// <see cref="MomentView.InkExtent"/> sizes the view by how far the ink reaches along its principal axis and across it
/// rather than by its spread, because garments, digits and glyphs are usually normalised by their longest side: on
/// distorted Fashion-MNIST the spread of size left by the extent is half that left by the radius of gyration
/// (README). Coordinates are normalised ones (−1 to 1 on both axes), so on a non-square input the axis is that of the
/// normalised image.
/// </para>
/// </remarks>
public static class MomentNormalisation
{
    /// <summary>
    /// Half side of the <see cref="MomentView.RadiusOfGyration"/> view in radii of gyration. A uniform square of half
    /// side a has a radius of gyration of 0.82 a, so the view frames it with about 40 % to spare.
    /// </summary>
    public const float ViewRadii = 1.7f;

    /// <summary>
    /// Half side of the <see cref="MomentView.InkExtent"/> view in halves of the ink's longer extent: the view just
    /// frames the longest side. A wider margin reads more of the canvas around the object and its box grows looser; a
    /// narrower one crops the object's tips. Measured on distorted Fashion-MNIST (README).
    /// </summary>
    public const float ViewMargin = 1f;

    /// <summary>Pixels whose mass is at least this fraction of the brightest one's are ink for the extent.</summary>
    public const float InkFraction = 0.1f;

    /// <summary>The view's half side, in halves of the input, never exceeds this: the view starts within the input.</summary>
    public const float MaximumScale = 1f;

    /// <summary>The view's half side is at least this many input pixels, so that a single bright pixel gives a usable view.</summary>
    public const float MinimumHalfSidePixels = 1f;

    /// <summary>
    /// Ink whose two principal spreads differ by less than this fraction of their sum has no principal axis (a disc, a
    /// square): its extent is measured along the image axes rather than along an axis that rounding would choose.
    /// </summary>
    internal const float IsotropyTolerance = 1e-3f;

    /// <summary>The smallest determinant a correction is scaled from; a singular one stays near singular instead of dividing by zero.</summary>
    internal const float MinimumDeterminant = 1e-6f;

    /// <summary>The starting θ of each input.</summary>
    /// <param name="input">U of shape [N, C, H, W].</param>
    /// <param name="kind">The matrix kind θ belongs to.</param>
    /// <param name="alignCorners">The pixel-placement convention (see <see cref="GridGenerator"/>).</param>
    /// <param name="view">Which view.</param>
    /// <returns>θ of shape [N, 2, 3], or [N, 3, 3] for <see cref="TransformKind.Projective"/>.</returns>
    /// <exception cref="ArgumentException"><paramref name="kind"/> has no matrix, or <paramref name="view"/> is none.</exception>
    public static Tensor StartTheta(Tensor input, TransformKind kind, bool alignCorners, MomentView view = MomentView.InkExtent)
    {
        int rows = TransformParameterisation.MatrixRows(kind);
        if (view is not (MomentView.RadiusOfGyration or MomentView.InkExtent))
            throw new ArgumentException($"expected a view, got {view}", nameof(view));
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        int height = (int)input.shape[2], width = (int)input.shape[3];
        var mass = input.sum(1).clamp_min(0);
        var total = mass.sum([1, 2]);
        var hasMass = total > 0;
        var divisor = where(hasMass, total, ones_like(total));
        var xs = PixelCentres(width, alignCorners, input.dtype, input.device);
        var ys = PixelCentres(height, alignCorners, input.dtype, input.device);
        var centreX = (mass.sum(1) * xs).sum(1) / divisor;
        var centreY = (mass.sum(2) * ys).sum(1) / divisor;
        var dx = xs.view(1, 1, -1) - centreX.view(-1, 1, 1);
        var dy = ys.view(1, -1, 1) - centreY.view(-1, 1, 1);
        var varianceX = (mass * dx * dx).sum([1, 2]) / divisor;
        var varianceY = (mass * dy * dy).sum([1, 2]) / divisor;

        Tensor viewX = centreX, viewY = centreY, halfSide;
        if (view == MomentView.RadiusOfGyration)
        {
            halfSide = (varianceX + varianceY).clamp_min(0).sqrt() * ViewRadii;
        }
        else
        {
            var (cos, sin) = PrincipalAxis(varianceX, varianceY, (mass * dx * dy).sum([1, 2]) / divisor);
            var along = dx * cos + dy * sin;
            var across = dy * cos - dx * sin;
            var ink = mass >= mass.amax([1, 2], keepdim: true) * InkFraction;
            var (alongLow, alongHigh) = Extent(along, ink);
            var (acrossLow, acrossHigh) = Extent(across, ink);
            var middleAlong = (alongLow + alongHigh) / 2;
            var middleAcross = (acrossLow + acrossHigh) / 2;
            var (c, s) = (cos.view(-1), sin.view(-1));
            viewX = where(hasMass, centreX + middleAlong * c - middleAcross * s, centreX);
            viewY = where(hasMass, centreY + middleAlong * s + middleAcross * c, centreY);
            halfSide = maximum(alongHigh - alongLow, acrossHigh - acrossLow) * (ViewMargin / 2);
        }

        var scale = kind == TransformKind.Translation
            ? ones_like(total)
            : where(hasMass, halfSide.clamp(MinimumScale(height, width, alignCorners), MaximumScale), ones_like(total));
        var zero = zeros_like(scale);
        var entries = new List<Tensor> { scale, zero, viewX, zero, scale, viewY };
        if (rows == 3)
            entries.AddRange([zero, zero, ones_like(scale)]);
        return stack(entries, 1).view(-1, rows, 3).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// A correction that keeps the view's scale: its 2×2 part divided by the square root of its absolute determinant, so
    /// that it turns, shears and shifts but neither grows nor shrinks what the view frames. Differentiable.
    /// </summary>
    /// <param name="correction">Corrections [N, 2, 3] or [N, 3, 3].</param>
    /// <returns>The same shape; for a 3×3 correction only the 2×2 part is scaled, which keeps the scale at the view's centre.</returns>
    public static Tensor KeepScale(Tensor correction)
    {
        using var scope = NewDisposeScope();
        var linear = correction.narrow(1, 0, 2).narrow(2, 0, 2);
        var determinant = linear[.., 0, 0] * linear[.., 1, 1] - linear[.., 0, 1] * linear[.., 1, 0];
        var scaled = linear / determinant.abs().clamp_min(MinimumDeterminant).sqrt().view(-1, 1, 1);
        var top = cat([scaled, correction.narrow(1, 0, 2).narrow(2, 2, correction.shape[2] - 2)], 2);
        var kept = correction.shape[1] == 2 ? top : cat([top, correction.narrow(1, 2, correction.shape[1] - 2)], 1);
        return kept.MoveToOuterDisposeScope();
    }

    /// <summary>The smallest scale: <see cref="MinimumHalfSidePixels"/> in normalised units of the smaller side.</summary>
    internal static float MinimumScale(int height, int width, bool alignCorners)
    {
        int side = Math.Min(height, width);
        float halfSide = alignCorners ? Math.Max(side - 1, 1) / 2f : side / 2f;
        return Math.Min(MinimumHalfSidePixels / halfSide, MaximumScale);
    }

    /// <summary>
    /// The unit vector (cos φ, sin φ) along the larger principal spread, [N, 1, 1] each, from the half-angle identities
    /// (ONNX has no atan2); along the x axis when the ink has no principal axis.
    /// </summary>
    private static (Tensor Cos, Tensor Sin) PrincipalAxis(Tensor varianceX, Tensor varianceY, Tensor covariance)
    {
        var difference = varianceX - varianceY;
        var norm = (difference * difference + 4 * covariance * covariance).sqrt();
        var isotropic = norm <= (varianceX + varianceY) * IsotropyTolerance;
        var cosDouble = where(isotropic, ones_like(norm), difference / where(isotropic, ones_like(norm), norm));
        var cos = ((1 + cosDouble) / 2).clamp_min(0).sqrt();
        var sin = where(covariance < 0, -ones_like(norm), ones_like(norm)) * ((1 - cosDouble) / 2).clamp_min(0).sqrt();
        return (cos.view(-1, 1, 1), sin.view(-1, 1, 1));
    }

    /// <summary>The least and greatest offset over the ink pixels of each image, [N] each.</summary>
    private static (Tensor Low, Tensor High) Extent(Tensor offsets, Tensor ink) =>
        (where(ink, offsets, full_like(offsets, double.PositiveInfinity)).amin([1, 2]),
         where(ink, offsets, full_like(offsets, double.NegativeInfinity)).amax([1, 2]));

    private static Tensor PixelCentres(int size, bool alignCorners, ScalarType dtype, Device device) =>
        DeviceConstants.Get(nameof(MomentNormalisation), 1, size, alignCorners, dtype, device,
            () => GridGenerator.Coordinates(size, alignCorners, dtype, null));
}
