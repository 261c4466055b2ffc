using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Stn.Network;

/// <summary>
/// Classic moment normalisation as the localisation net's starting view: a view centred on the object and sized by
/// it, read off the input's pixels, so that objects of any position and size arrive centred and at one size before
/// the net regresses its correction (see <see cref="MomentView"/> for the views).
/// </summary>
/// <remarks>
/// <para>
/// The mass is the input's positive values summed over channels: ink on the black (zero) background that the zero
/// padding also assumes. An all-zero input has no centre, so its view is the whole input.
/// </para>
/// <para>
/// The view is of the family of every matrix kind it starts (a shift and one scale; the object's box has a scale for
/// each axis), except <see cref="TransformKind.Translation"/>, whose view is the shift alone, so that θ stays a
/// translation.
/// The view is computed from the pixels only and carries no gradient: the input has none to give.
/// </para>
/// <para>
/// <see cref="MomentView.InkExtent"/> sizes the view by how far the ink reaches along its principal axis and across it
/// rather than by its spread, because garments, digits and glyphs are usually normalised by their longest side: on
/// distorted Fashion-MNIST the spread of size left by the extent is half that left by the radius of gyration
/// (README). Coordinates are normalised ones (−1 to 1 on both axes), so on a non-square input the axis is that of the
/// normalised image.
/// </para>
/// <para>
/// <see cref="MomentView.ObjectBox"/> reads the object alone (<see cref="ObjectMask"/>), so that crops of other objects
/// around it do not widen the view, and frames it in a box of its own aspect ratio, which is what a detector's box is
/// scored against.
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
        if (view is not (MomentView.RadiusOfGyration or MomentView.InkExtent or MomentView.ObjectBox))
            throw new ArgumentException($"expected a view, got {view}", nameof(view));
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        int height = (int)input.shape[2], width = (int)input.shape[3];
        var mass = input.sum(1).ClampedBelow(0);
        if (view == MomentView.ObjectBox)
            mass = mass * ObjectMask(mass);
        var total = mass.sum([1, 2]);
        var hasMass = total.GreaterThan(0);
        var xs = PixelCentres(width, alignCorners, input.dtype, input.device);
        var ys = PixelCentres(height, alignCorners, input.dtype, input.device);

        Tensor viewX, viewY, halfWidth, halfHeight;
        if (view == MomentView.ObjectBox)
        {
            var ink = Ink(mass);
            var (left, right) = Extent(xs.view(1, 1, -1).expand_as(mass), ink);
            var (top, bottom) = Extent(ys.view(1, -1, 1).expand_as(mass), ink);
            var centre = zeros_like(total);
            viewX = where(hasMass, left.Plus(right).DividedBy(2), centre);
            viewY = where(hasMass, top.Plus(bottom).DividedBy(2), centre);
            halfWidth = (right - left).Times(ViewMargin / 2);
            halfHeight = (bottom - top).Times(ViewMargin / 2);
        }
        else
        {
            var divisor = where(hasMass, total, ones_like(total));
            var centreX = (mass.sum(1) * xs).sum(1) / divisor;
            var centreY = (mass.sum(2) * ys).sum(1) / divisor;
            var dx = xs.view(1, 1, -1) - centreX.view(-1, 1, 1);
            var dy = ys.view(1, -1, 1) - centreY.view(-1, 1, 1);
            var varianceX = (mass * dx * dx).sum([1, 2]) / divisor;
            var varianceY = (mass * dy * dy).sum([1, 2]) / divisor;
            if (view == MomentView.RadiusOfGyration)
            {
                (viewX, viewY) = (centreX, centreY);
                halfWidth = halfHeight = varianceX.Plus(varianceY).ClampedBelow(0).sqrt().Times(ViewRadii);
            }
            else
            {
                var (cos, sin) = PrincipalAxis(varianceX, varianceY, (mass * dx * dy).sum([1, 2]) / divisor);
                var along = (dx * cos).Plus(dy * sin);
                var across = dy * cos - dx * sin;
                var ink = Ink(mass);
                var (alongLow, alongHigh) = Extent(along, ink);
                var (acrossLow, acrossHigh) = Extent(across, ink);
                var middleAlong = alongLow.Plus(alongHigh).DividedBy(2);
                var middleAcross = acrossLow.Plus(acrossHigh).DividedBy(2);
                var (c, s) = (cos.view(-1), sin.view(-1));
                viewX = where(hasMass, centreX.Plus(middleAlong * c) - middleAcross * s, centreX);
                viewY = where(hasMass, centreY.Plus(middleAlong * s).Plus(middleAcross * c), centreY);
                halfWidth = halfHeight = maximum(alongHigh - alongLow, acrossHigh - acrossLow).Times(ViewMargin / 2);
            }
        }

        Tensor Scale(Tensor half) => kind == TransformKind.Translation
            ? ones_like(total)
            : where(hasMass, half.Clamped(MinimumScale(height, width, alignCorners), MaximumScale), ones_like(total));
        var scaleX = Scale(halfWidth);
        var scaleY = Scale(halfHeight);
        var zero = zeros_like(scaleX);
        var entries = new List<Tensor> { scaleX, zero, viewX, zero, scaleY, viewY };
        if (rows == 3)
            entries.AddRange([zero, zero, ones_like(scaleX)]);
        return stack(entries, 1).view(-1, rows, 3).MoveToOuterDisposeScope();
    }

    /// <summary>Whether the view sets the scale, so that every correction composed with it keeps it (<see cref="KeepScale"/>).</summary>
    internal static bool FixesScale(MomentView view) => view is MomentView.InkExtent or MomentView.ObjectBox;

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
        var scaled = linear / determinant.abs().ClampedBelow(MinimumDeterminant).sqrt().view(-1, 1, 1);
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
        var norm = (difference * difference).Plus(covariance.Times(4) * covariance).sqrt();
        var isotropic = norm <= varianceX.Plus(varianceY).Times(IsotropyTolerance);
        var cosDouble = where(isotropic, ones_like(norm), difference / where(isotropic, ones_like(norm), norm));
        var cos = cosDouble.Plus(1).DividedBy(2).ClampedBelow(0).sqrt();
        var sin = where(covariance.LessThan(0), -ones_like(norm), ones_like(norm)) * cosDouble.SubtractedFrom(1).DividedBy(2).ClampedBelow(0).sqrt();
        return (cos.view(-1, 1, 1), sin.view(-1, 1, 1));
    }

    /// <summary>The pixels whose mass is at least <see cref="InkFraction"/> of the image's brightest, [N, H, W].</summary>
    private static Tensor Ink(Tensor mass) => mass >= mass.amax([1, 2], keepdim: true).Times(InkFraction);

    /// <summary>
    /// 1 on the object and 0 elsewhere, [N, H, W]: the ink that an 8-connected path of ink joins to the ink at the centre
    /// of the densest window, within H + W steps. The window is about a sixth of the image's smaller side, wider than a
    /// stroke and narrower than an object, so an object's body outweighs a crop of clutter.
    /// </summary>
    /// <remarks>
    /// The mask is found on the host: libtorch's pooling of one-channel images, one growth step at a time, cost a hundred
    /// times the rest of the view, while running sums and a breadth-first search over a batch of 64 take a few
    /// milliseconds. The ONNX export finds the same mask with an average pool and H + W max-pooling steps.
    /// </remarks>
    internal static Tensor ObjectMask(Tensor mass)
    {
        using var scope = NewDisposeScope();
        int count = (int)mass.shape[0], height = (int)mass.shape[1], width = (int)mass.shape[2];
        var ink = Ink(mass).to_type(ScalarType.Byte).cpu().data<byte>().ToArray();
        var masses = mass.to_type(ScalarType.Float64).cpu().data<double>().ToArray();
        var mask = new byte[ink.Length];
        int plane = height * width;
        var sums = new double[(height + 1) * (width + 1)];
        var density = new double[plane];
        var frontier = new List<int>();
        var next = new List<int>();
        for (int image = 0; image < count; image++)
        {
            var imageInk = ink.AsSpan(image * plane, plane);
            var grown = mask.AsSpan(image * plane, plane);
            WindowMass(masses.AsSpan(image * plane, plane), height, width, DensityWindow(height, width) / 2, sums, density);
            double densest = double.NegativeInfinity;
            for (int p = 0; p < plane; p++)
                if (imageInk[p] != 0) densest = Math.Max(densest, density[p]);
            frontier.Clear();
            for (int p = 0; p < plane; p++)
            {
                if (imageInk[p] != 0 && density[p] >= densest)
                {
                    grown[p] = 1;
                    frontier.Add(p);
                }
            }
            for (int step = 0; step < height + width && frontier.Count > 0; step++)
            {
                next.Clear();
                foreach (int p in frontier)
                {
                    int row = p / width, column = p % width;
                    for (int r = Math.Max(row - 1, 0); r <= Math.Min(row + 1, height - 1); r++)
                    {
                        for (int c = Math.Max(column - 1, 0); c <= Math.Min(column + 1, width - 1); c++)
                        {
                            int q = r * width + c;
                            if (grown[q] == 0 && imageInk[q] != 0)
                            {
                                grown[q] = 1;
                                next.Add(q);
                            }
                        }
                    }
                }
                (frontier, next) = (next, frontier);
            }
        }
        return tensor(mask, [count, height, width]).to(mass.device).to_type(mass.dtype).MoveToOuterDisposeScope();
    }

    /// <summary>The mass of the (2·<paramref name="half"/> + 1)² window around each pixel, zero beyond the edges, from running sums.</summary>
    private static void WindowMass(ReadOnlySpan<double> mass, int height, int width, int half, double[] sums, double[] density)
    {
        int stride = width + 1;
        for (int r = 0; r < height; r++)
        {
            double row = 0;
            for (int c = 0; c < width; c++)
            {
                row += mass[r * width + c];
                sums[(r + 1) * stride + c + 1] = sums[r * stride + c + 1] + row;
            }
        }
        for (int p = 0; p < height * width; p++)
        {
            int row = p / width, column = p % width;
            int top = Math.Max(row - half, 0), bottom = Math.Min(row + half + 1, height);
            int left = Math.Max(column - half, 0), right = Math.Min(column + half + 1, width);
            density[p] = sums[bottom * stride + right] - sums[top * stride + right] - sums[bottom * stride + left] + sums[top * stride + left];
        }
    }

    /// <summary>The odd side of the window whose mass marks the object's densest part: about a sixth of the smaller side.</summary>
    internal static int DensityWindow(int height, int width) => 2 * (int)Math.Round(Math.Min(height, width) / 12.0) + 1;

    /// <summary>The least and greatest offset over the ink pixels of each image, [N] each.</summary>
    private static (Tensor Low, Tensor High) Extent(Tensor offsets, Tensor ink)
    {
        using var above = double.PositiveInfinity.ToScalar();
        using var below = double.NegativeInfinity.ToScalar();
        return (where(ink, offsets, full_like(offsets, above)).amin([1, 2]), where(ink, offsets, full_like(offsets, below)).amax([1, 2]));
    }

    private static Tensor PixelCentres(int size, bool alignCorners, ScalarType dtype, Device device) =>
        DeviceConstants.Get(nameof(MomentNormalisation), 1, size, alignCorners, dtype, device,
            () => GridGenerator.Coordinates(size, alignCorners, dtype, null));
}
