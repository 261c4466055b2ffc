namespace Stn.Datasets;

/// <summary>
/// The pose of one object in the rectified image: what a known <see cref="RtsParameters"/> distortion becomes after a
/// spatial transformer's warp θ.
/// </summary>
/// <param name="AngleDegrees">Rotation left: applied angle plus θ's angle, in (−180, 180], counter-clockwise on screen.</param>
/// <param name="Scale">Object scale in the rectified image: applied scale / θ's scale.</param>
/// <param name="X">Object centre in normalised rectified-image coordinates (−1 left edge, +1 right edge).</param>
/// <param name="Y">Object centre in normalised rectified-image coordinates (−1 top edge, +1 bottom edge).</param>
/// <param name="InputOffsetX">Object centre less the centre of the warp's view, in normalised input coordinates.</param>
/// <param name="InputOffsetY">The same downwards.</param>
public readonly record struct Pose(double AngleDegrees, double Scale, double X, double Y, double InputOffsetX, double InputOffsetY);

/// <summary>How much of the pose variation survives the warp, as ratios after/before (1: nothing undone, 0: all).</summary>
/// <param name="RotationLeft">Spread of the rotation left after the warp / spread of the applied rotation.</param>
/// <param name="Size">Spread of ln(object scale) after the warp / before.</param>
/// <param name="Position">Spread of the object centre after the warp / before.</param>
/// <param name="PositionInInput">The same measured in the input instead of the rectified image: spread of the object
/// centre's offset from the centre of the warp's view / spread of the object centre. A warp that zooms in by z
/// magnifies whatever offset it leaves z times in the rectified image, so <see cref="Position"/> is about z times this.</param>
public readonly record struct PoseRatios(double RotationLeft, double Size, double Position, double PositionInInput);

/// <summary>
/// Pose figures of a spatial transformer on RTS-distorted images whose distortion is known: per class, the spread of
/// rotation, size and position after the warp against the spread of the distortion itself. Within a class the warp
/// may settle on any fixed pose, so only spreads count, never the pose it settles on.
/// </summary>
/// <remarks>
/// θ maps normalised rectified-image coordinates o to normalised input coordinates, p = A·o + t (2×3, row-major, the
/// grid convention with −1 and +1 at the outer pixel edges). The distortion places the object's centre at
/// c = (2·ShiftX / W, 2·ShiftY / H) and its frame at p = c + s·R(α)·q, so in the rectified image the object sits at
/// o = A⁻¹(c − t) and its frame is A⁻¹·s·R(α). θ's angle is that of the rotation nearest A, atan2(A₂₁ − A₁₂, A₁₁ + A₂₂),
/// which for a similarity θ is its own angle with <c>TransformKind.Similarity</c>'s sign; θ's scale is √|det A|.
/// Size is compared on a log scale so that a warp that magnifies every object alike keeps the size ratio at 1.
/// </remarks>
public static class PoseFigures
{
    /// <summary>The object's pose after the warp.</summary>
    /// <param name="applied">The distortion the image was made with.</param>
    /// <param name="theta">θ, 6 values (2×3 row-major).</param>
    /// <param name="canvasHeight">Input height H in pixels.</param>
    /// <param name="canvasWidth">Input width W in pixels.</param>
    /// <exception cref="ArgumentException">θ does not have 6 values or its 2×2 part is singular.</exception>
    public static Pose AfterWarp(RtsParameters applied, ReadOnlySpan<float> theta, int canvasHeight, int canvasWidth)
    {
        if (theta.Length != 6)
        {
            throw new ArgumentException($"θ needs 6 values (2×3), got {theta.Length}.", nameof(theta));
        }

        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(canvasHeight);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(canvasWidth);
        double a = theta[0], b = theta[1], tx = theta[2], c = theta[3], d = theta[4], ty = theta[5];
        double det = a * d - b * c;
        if (!(Math.Abs(det) > 0) || !double.IsFinite(det))
        {
            throw new ArgumentException($"θ's 2×2 part is singular (determinant {det}).", nameof(theta));
        }

        double angle = Math.Atan2(c - b, a + d) * 180.0 / Math.PI;
        double cx = 2 * applied.ShiftX / canvasWidth - tx, cy = 2 * applied.ShiftY / canvasHeight - ty;
        return new Pose(
            ImageStatistics.WrapDegrees(applied.AngleDegrees + angle),
            applied.Scale / Math.Sqrt(Math.Abs(det)),
            (d * cx - b * cy) / det,
            (-c * cx + a * cy) / det,
            cx,
            cy);
    }

    /// <summary>The object's pose before any warp (θ the identity).</summary>
    /// <param name="applied">The distortion the image was made with.</param>
    /// <param name="canvasHeight">Input height H in pixels.</param>
    /// <param name="canvasWidth">Input width W in pixels.</param>
    public static Pose Before(RtsParameters applied, int canvasHeight, int canvasWidth) =>
        AfterWarp(applied, [1f, 0f, 0f, 0f, 1f, 0f], canvasHeight, canvasWidth);

    /// <summary>Ratios after/before for each class present, in class order.</summary>
    /// <param name="applied">Each image's distortion.</param>
    /// <param name="labels">Each image's class.</param>
    /// <param name="thetas">Each image's θ (6 values).</param>
    /// <param name="canvasHeight">Input height H in pixels.</param>
    /// <param name="canvasWidth">Input width W in pixels.</param>
    /// <returns>Class → ratios; a class whose distortion does not vary in some respect gets NaN there.</returns>
    public static SortedDictionary<int, PoseRatios> PerClass(
        IReadOnlyList<RtsParameters> applied, IReadOnlyList<int> labels, IReadOnlyList<float[]> thetas, int canvasHeight, int canvasWidth)
    {
        ArgumentNullException.ThrowIfNull(applied);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(thetas);
        if (labels.Count != applied.Count || thetas.Count != applied.Count)
        {
            throw new ArgumentException($"Need one label and one θ per distortion: {applied.Count} distortions, {labels.Count} labels, {thetas.Count} θ.");
        }

        var result = new SortedDictionary<int, PoseRatios>();
        foreach (var group in Enumerable.Range(0, applied.Count).GroupBy(i => labels[i]))
        {
            var before = group.Select(i => Before(applied[i], canvasHeight, canvasWidth)).ToList();
            var after = group.Select(i => AfterWarp(applied[i], thetas[i], canvasHeight, canvasWidth)).ToList();
            result[group.Key] = new PoseRatios(
                AngleSpread(after) / AngleSpread(before),
                LogScaleSpread(after) / LogScaleSpread(before),
                PositionSpread(after, p => (p.X, p.Y)) / PositionSpread(before, p => (p.X, p.Y)),
                PositionSpread(after, p => (p.InputOffsetX, p.InputOffsetY)) / PositionSpread(before, p => (p.InputOffsetX, p.InputOffsetY)));
        }

        return result;
    }

    /// <summary>The mean over classes of <see cref="PerClass"/>.</summary>
    /// <param name="applied">Each image's distortion.</param>
    /// <param name="labels">Each image's class.</param>
    /// <param name="thetas">Each image's θ (6 values).</param>
    /// <param name="canvasHeight">Input height H in pixels.</param>
    /// <param name="canvasWidth">Input width W in pixels.</param>
    public static PoseRatios MeanOverClasses(
        IReadOnlyList<RtsParameters> applied, IReadOnlyList<int> labels, IReadOnlyList<float[]> thetas, int canvasHeight, int canvasWidth)
    {
        var perClass = PerClass(applied, labels, thetas, canvasHeight, canvasWidth).Values;
        if (perClass.Count == 0)
        {
            throw new ArgumentException("Pose figures need at least one image.", nameof(applied));
        }

        return Mean(perClass);
    }

    /// <summary>The mean of each ratio over classes (or seeds).</summary>
    /// <param name="ratios">At least one set of ratios.</param>
    public static PoseRatios Mean(IReadOnlyCollection<PoseRatios> ratios)
    {
        ArgumentNullException.ThrowIfNull(ratios);
        return new PoseRatios(ratios.Average(r => r.RotationLeft), ratios.Average(r => r.Size), ratios.Average(r => r.Position),
            ratios.Average(r => r.PositionInInput));
    }

    private static double AngleSpread(IReadOnlyList<Pose> poses) => ImageStatistics.AngleSpreadDegrees([.. poses.Select(p => p.AngleDegrees)]);

    private static double LogScaleSpread(IReadOnlyList<Pose> poses) => ImageStatistics.Spread([.. poses.Select(p => Math.Log(p.Scale))]);

    /// <summary>Root of the summed variances of x and y.</summary>
    private static double PositionSpread(IReadOnlyList<Pose> poses, Func<Pose, (double X, double Y)> position)
    {
        double sx = ImageStatistics.Spread([.. poses.Select(p => position(p).X)]);
        double sy = ImageStatistics.Spread([.. poses.Select(p => position(p).Y)]);
        return Math.Sqrt(sx * sx + sy * sy);
    }
}
