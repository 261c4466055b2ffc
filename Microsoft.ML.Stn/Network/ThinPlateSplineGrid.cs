using System.Globalization;
using static TorchSharp.torch;

namespace Microsoft.ML.Stn.Network;

/// <summary>
/// The grid generator of a thin-plate-spline (TPS) spatial transformer: K×K control points p_k, evenly spaced over
/// the normalised output square [−1, 1]², are moved to regressed target positions t_k in the input, and every output
/// pixel x is mapped through the thin-plate spline f with f(p_k) = t_k.
/// </summary>
/// <remarks>
/// <para>
/// f(x) = a₀ + a₁·x + a₂·y + Σ_k w_k U(‖x − p_k‖) with the radial basis U(r) = r² log r² (U(0) = 0) and the side
/// conditions Σ_k w_k = Σ_k w_k x_k = Σ_k w_k y_k = 0 (Bookstein 1989, used by Jaderberg et al. 2015 for their TPS
/// transformers). The coefficients solve the (K² + 3)² system L·(w, a) = (t, 0), L = [[U(‖p_i − p_j‖), P], [Pᵀ, 0]],
/// P_k = (1, x_k, y_k). The control points are fixed, so L⁻¹ is computed once here, and with it the matrix M that
/// takes target positions to the sampling grid: the forward pass is a matrix product, linear (hence differentiable)
/// in the targets.
/// </para>
/// <para>
/// The grid is computed as x + M·(t − p): the thin-plate spline reproduces affine maps, so M·p = x, and writing it
/// this way makes targets equal to the control points give exactly the identity grid of <see cref="GridGenerator"/>,
/// without round-off.
/// </para>
/// <para>
/// θ of a TPS transformer is the targets, [N, K², 2]: (x, y) of each control point, the points row-major over the
/// grid (row i, column j is point i·K + j at p = (−1 + 2j/(K − 1), −1 + 2i/(K − 1))), in normalised input coordinates.
/// </para>
/// </remarks>
public sealed class ThinPlateSplineGrid : IDisposable
{
    /// <summary>The default number of control points along each side, K.</summary>
    public const int DefaultControlPointGridSize = 4;

    /// <summary>The smallest K: two points per side (the four corners) already leave one non-affine degree of freedom.</summary>
    public const int MinimumControlPointGridSize = 2;

    /// <summary>Points sampled along each side of the output edge for <see cref="EnclosingBox"/>, corners included.</summary>
    public const int BorderSamplesPerSide = 33;

    // (K² + 3) × K²: the first K² columns of L⁻¹, which take the targets to the spline's coefficients (w, a).
    private readonly Tensor _coefficients;

    // In float64 on the CPU; the forward pass reads copies in θ's dtype on θ's device from DeviceConstants: the control
    // points p [K², 2], M [H′·W′, K²] (the grid as a linear function of the targets) and the identity grid x [H′·W′, 2].
    private readonly Tensor _sources;
    private readonly Tensor _gridWeights;
    private readonly Tensor _identityGrid;

    /// <summary>Prepares the grid generator for a K×K control-point grid and an H′×W′ output.</summary>
    /// <param name="controlPointGridSize">K, at least <see cref="MinimumControlPointGridSize"/> and at most the smaller output side.</param>
    /// <param name="outputHeight">H′, at least 1.</param>
    /// <param name="outputWidth">W′, at least 1.</param>
    /// <param name="alignCorners">The pixel-placement convention described on <see cref="GridGenerator"/>.</param>
    /// <exception cref="ArgumentException">K or an output size is out of range.</exception>
    public ThinPlateSplineGrid(int controlPointGridSize, int outputHeight, int outputWidth, bool alignCorners = false)
    {
        Validate(controlPointGridSize, outputHeight, outputWidth);
        ControlPointGridSize = controlPointGridSize;
        OutputHeight = outputHeight;
        OutputWidth = outputWidth;
        AlignCorners = alignCorners;

        using var scope = NewDisposeScope();
        var sources = tensor(ControlPoints(controlPointGridSize), dtype: ScalarType.Float64).reshape(-1, 2);
        int count = (int)sources.shape[0];
        var system = zeros(count + 3, count + 3, dtype: ScalarType.Float64);
        system.narrow(0, 0, count).narrow(1, 0, count).copy_(Basis(sources, sources));
        var affine = Affine(sources);
        system.narrow(0, 0, count).narrow(1, count, 3).copy_(affine);
        system.narrow(0, count, 3).narrow(1, 0, count).copy_(affine.t());
        _coefficients = linalg.inv(system).narrow(1, 0, count).contiguous().DetachFromDisposeScope();
        _sources = sources.DetachFromDisposeScope();

        var target = GridGenerator.TargetGrid(outputHeight, outputWidth, alignCorners, ScalarType.Float64).narrow(1, 0, 2);
        _gridWeights = Evaluation(target).DetachFromDisposeScope();
        _identityGrid = target.contiguous().DetachFromDisposeScope();
    }

    /// <summary>K, the number of control points along each side.</summary>
    public int ControlPointGridSize { get; }

    /// <summary>K², the number of control points.</summary>
    public int ControlPointCount => ControlPointGridSize * ControlPointGridSize;

    /// <summary>Length of a flattened θ: 2K².</summary>
    public int ThetaLength => 2 * ControlPointCount;

    /// <summary>Output height H′.</summary>
    public int OutputHeight { get; }

    /// <summary>Output width W′.</summary>
    public int OutputWidth { get; }

    /// <summary>The pixel-placement convention of the grid.</summary>
    public bool AlignCorners { get; }

    /// <summary>
    /// The K×K control points in normalised output coordinates, (x, y) per point, row-major over the grid: the
    /// identity θ of a TPS transformer.
    /// </summary>
    /// <param name="controlPointGridSize">K, at least <see cref="MinimumControlPointGridSize"/>.</param>
    /// <returns>A new array of 2K² values.</returns>
    public static float[] IdentityTheta(int controlPointGridSize) =>
        [.. ControlPoints(controlPointGridSize).Select(v => (float)v)];

    /// <summary>Throws unless K and the output size make a usable control-point grid.</summary>
    /// <param name="controlPointGridSize">K.</param>
    /// <param name="outputHeight">H′.</param>
    /// <param name="outputWidth">W′.</param>
    /// <exception cref="ArgumentException">K is below <see cref="MinimumControlPointGridSize"/>, or larger than the
    /// smaller output side (control points closer than a pixel cannot be told apart by the image), or an output size
    /// is not positive.</exception>
    public static void Validate(int controlPointGridSize, int outputHeight, int outputWidth)
    {
        GridGenerator.ValidateOutputSize(outputHeight, outputWidth);
        ValidateGridSize(controlPointGridSize);

        int side = Math.Min(outputHeight, outputWidth);
        if (controlPointGridSize > side)
        {
            throw new ArgumentException(
                $"a {controlPointGridSize}×{controlPointGridSize} control-point grid is too large for a {outputHeight}×{outputWidth} output: " +
                $"K must be at most the smaller output side, {side}",
                nameof(controlPointGridSize));
        }
    }

    /// <summary>Maps the H′×W′ output grid through the thin-plate spline of <paramref name="theta"/>.</summary>
    /// <param name="theta">Target positions of shape [N, K², 2] (see <see cref="ThinPlateSplineGrid"/>), floating point.</param>
    /// <returns>The sampling grid of shape [N, H′, W′, 2], in the dtype of <paramref name="theta"/>.</returns>
    /// <exception cref="ArgumentException">θ has the wrong shape or type.</exception>
    public Tensor Generate(Tensor theta)
    {
        ValidateTheta(theta);
        using var scope = NewDisposeScope();
        var grid = Constant("Grid", theta, () => _identityGrid).Plus(Constant("GridWeights", theta, () => _gridWeights).matmul(Displacement(theta)));
        return grid.reshape(theta.shape[0], OutputHeight, OutputWidth, 2).MoveToOuterDisposeScope();
    }

    /// <summary>Maps arbitrary points of the normalised output plane through the thin-plate spline of <paramref name="theta"/>.</summary>
    /// <param name="theta">Target positions of shape [N, K², 2].</param>
    /// <param name="points">Normalised output coordinates (x, y) of shape [P, 2].</param>
    /// <returns>Normalised source coordinates of shape [N, P, 2], in the dtype of <paramref name="theta"/>.</returns>
    /// <exception cref="ArgumentException">θ or the points have the wrong shape.</exception>
    public Tensor MapPoints(Tensor theta, Tensor points)
    {
        ArgumentNullException.ThrowIfNull(points);
        ValidateTheta(theta);
        if (points.dim() != 2 || points.shape[1] != 2)
        {
            throw new ArgumentException($"expected points of shape [P, 2], got {ShapeText.Of(points.shape)}", nameof(points));
        }

        using var scope = NewDisposeScope();
        var weights = Evaluation(points.to(ScalarType.Float64, _coefficients.device)).to(theta.dtype, theta.device);
        return points.to(theta.dtype, theta.device).Plus(weights.matmul(Displacement(theta))).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The box enclosing the input region the output shows: the extreme source coordinates of points sampled along
    /// the output's outer edge (not only its corners, because a thin-plate spline bends straight edges).
    /// </summary>
    /// <param name="theta">Target positions of shape [N, K², 2].</param>
    /// <param name="samplesPerSide">Points sampled along each side of the output edge, corners included; at least 2.</param>
    /// <returns>[N, 4]: left, top, right, bottom in normalised input coordinates (x right, y down).</returns>
    /// <exception cref="ArgumentException">θ has the wrong shape or <paramref name="samplesPerSide"/> is below 2.</exception>
    public Tensor EnclosingBox(Tensor theta, int samplesPerSide = BorderSamplesPerSide)
    {
        if (samplesPerSide < 2)
        {
            throw new ArgumentException($"expected at least 2 samples per side, got {samplesPerSide}", nameof(samplesPerSide));
        }

        ValidateTheta(theta);
        using var scope = NewDisposeScope();
        // The border and its weights depend only on the geometry: made once per device, not in every batch.
        string border = $"Border{samplesPerSide}";
        var points = Constant(border, theta, () => OutputBorder(samplesPerSide));
        var weights = Constant(border + "Weights", theta, () => Evaluation(OutputBorder(samplesPerSide)));
        var mapped = points.Plus(weights.matmul(Displacement(theta)));
        var low = mapped.amin(1);
        var high = mapped.amax(1);
        return cat([low, high], 1).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The output grid as a linear function of the targets, in float32 as <see cref="Generate"/> computes it: the grid is
    /// points + weights·(θ − p), with points [H′·W′, 2] (the identity grid) and weights M [H′·W′, K²].
    /// </summary>
    internal (float[] Points, float[] Weights) GridMap() => (Floats(_identityGrid), Floats(_gridWeights));

    /// <summary>
    /// The points of <see cref="EnclosingBox"/>'s border (at its default sampling) as a linear function of the targets,
    /// in float32 as <see cref="EnclosingBox"/> computes them: points [P, 2] and weights [P, K²].
    /// </summary>
    internal (float[] Points, float[] Weights) BorderMap()
    {
        using var scope = NewDisposeScope();
        var points = OutputBorder(BorderSamplesPerSide);
        return (Floats(points), Floats(Evaluation(points)));
    }

    /// <summary>Releases the precomputed matrices.</summary>
    public void Dispose()
    {
        _coefficients.Dispose();
        _sources.Dispose();
        _gridWeights.Dispose();
        _identityGrid.Dispose();
    }

    private static void ValidateGridSize(int controlPointGridSize)
    {
        if (controlPointGridSize < MinimumControlPointGridSize)
        {
            throw new ArgumentException(
                $"expected a control-point grid of at least {MinimumControlPointGridSize}×{MinimumControlPointGridSize}, got K = {controlPointGridSize}",
                nameof(controlPointGridSize));
        }
    }

    private static double[] ControlPoints(int k)
    {
        ValidateGridSize(k);

        var points = new double[2 * k * k];
        for (int i = 0; i < k; i++)
        {
            for (int j = 0; j < k; j++)
            {
                points[2 * (i * k + j)] = -1.0 + 2.0 * j / (k - 1);
                points[2 * (i * k + j) + 1] = -1.0 + 2.0 * i / (k - 1);
            }
        }

        return points;
    }

    /// <summary>
    /// Points along the outer edge of the output in normalised output coordinates, going round once. With
    /// alignCorners = false the edge is at ±1; with true, ±1 are the border pixels' centres and the edge is half a
    /// pixel further out.
    /// </summary>
    private Tensor OutputBorder(int samplesPerSide)
    {
        double ex = BoundingBox.OuterEdge(OutputWidth, AlignCorners), ey = BoundingBox.OuterEdge(OutputHeight, AlignCorners);
        var points = new List<double>(8 * samplesPerSide);
        for (int s = 0; s < samplesPerSide; s++)
        {
            double u = -1.0 + 2.0 * s / (samplesPerSide - 1);
            points.AddRange([u * ex, -ey, u * ex, ey, -ex, u * ey, ex, u * ey]);
        }

        return tensor(points.ToArray(), dtype: ScalarType.Float64).reshape(-1, 2);
    }

    /// <summary>U(‖a_i − b_j‖) for every pair, [A, B]: U(r) = r² log r², continued by U(0) = 0.</summary>
    private static Tensor Basis(Tensor a, Tensor b)
    {
        var squared = (a.unsqueeze(1) - b.unsqueeze(0)).square().sum(2);
        // log of a zero distance is −∞ and 0·(−∞) is NaN; the limit r² log r² → 0 is what the spline needs.
        var safe = where(squared.GreaterThan(0), squared, ones_like(squared));
        return squared * safe.log();
    }

    /// <summary>Rows (1, x, y) of the affine part.</summary>
    private static Tensor Affine(Tensor points) => cat([ones(points.shape[0], 1, dtype: points.dtype, device: points.device), points], 1);

    /// <summary>[P, K²] in float64: row p gives f(point p) as a linear combination of the targets.</summary>
    private Tensor Evaluation(Tensor points)
    {
        using var scope = NewDisposeScope();
        var rows = cat([Basis(points, _sources), Affine(points)], 1);
        return rows.matmul(_coefficients).MoveToOuterDisposeScope();
    }

    /// <summary>θ − p, the targets' displacement from the control points.</summary>
    private Tensor Displacement(Tensor theta) => theta - Constant("Sources", theta, () => _sources);

    /// <summary>
    /// <paramref name="what"/> of this geometry (K, H′, W′, the convention) in θ's dtype on θ's device, made by
    /// <paramref name="create"/> in float64 the first time; owned by <see cref="DeviceConstants"/>.
    /// </summary>
    private Tensor Constant(string what, Tensor theta, Func<Tensor> create) =>
        DeviceConstants.Get($"{nameof(ThinPlateSplineGrid)}{ControlPointGridSize}.{what}", OutputHeight, OutputWidth, AlignCorners,
            theta.dtype, theta.device, create);

    private static float[] Floats(Tensor values)
    {
        using var single = values.to(ScalarType.Float32);
        return single.data<float>().ToArray();
    }

    private void ValidateTheta(Tensor theta)
    {
        ArgumentNullException.ThrowIfNull(theta);
        var shape = theta.shape;
        if (shape.Length != 3 || shape[1] != ControlPointCount || shape[2] != 2)
        {
            throw new ArgumentException(
                $"expected thin-plate-spline theta of shape [N, {ControlPointCount.ToString(CultureInfo.InvariantCulture)}, 2], got {ShapeText.Of(shape)}",
                nameof(theta));
        }

        if (!theta.is_floating_point())
        {
            throw new ArgumentException($"expected theta of a floating-point type, got {theta.dtype}", nameof(theta));
        }
    }
}
