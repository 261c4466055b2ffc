using Microsoft.ML.Stn.Platform;
using static TorchSharp.torch;

namespace Microsoft.ML.Stn.Network;

/// <summary>
/// A spatial transformer (Jaderberg et al., 2015): a localisation network regresses θ from the input U, the grid
/// generator maps the H′×W′ output grid through θ, and the sampler reads U there to produce V.
/// </summary>
/// <remarks>
/// <para>
/// θ maps normalised output coordinates to normalised input coordinates (x right, y down, see
/// <see cref="GridGenerator"/> for the two pixel conventions); for <see cref="TransformKind.ThinPlateSpline"/> θ is the
/// control points' targets and <see cref="ThinPlateSplineGrid"/> generates the grid. A freshly constructed transformer
/// outputs the identity θ, so V equals U (resampled to H′×W′) until it is trained.
/// </para>
/// <para>
/// With a transformer count T above 1, T transformers share the localisation network's layers up to its last, which
/// regresses T parameter blocks; each warps the input, and the T outputs are stacked along the channel axis
/// (transformer after transformer), as in the paper's multi-transformer designs.
/// </para>
/// <para>
/// With more than one refinement step (matrix kinds only), each step after the first warps the input with the θ found
/// so far, regresses a correction from that view with the same localisation network, and composes it into θ, as in
/// Lin and Lucey's inverse-compositional STN. The input is always resampled from the original with the composed θ,
/// so refinement never interpolates twice.
/// </para>
/// <para>
/// With moment normalisation (matrix kinds only), the localisation network first looks at the view that
/// <see cref="MomentNormalisation"/> computes from the input's pixels, and θ is that view composed with what the
/// network regresses. With <see cref="Network.MomentView.InkExtent"/> and <see cref="Network.MomentView.ObjectBox"/>
/// every correction keeps the view's scale (<see cref="MomentNormalisation.KeepScale"/>). Every look then reads a view,
/// which may be read at a size of its own (the view size) rather than the input's.
/// </para>
/// </remarks>
public sealed class SpatialTransformer : nn.Module<Tensor, (Tensor Theta, Tensor RectifiedImage)>
{
    private readonly LocalisationNet localisation;

    // Not a module: its matrices are fixed by the geometry, so they are rebuilt rather than saved with the weights.
    private readonly ThinPlateSplineGrid? _thinPlateSpline;

    /// <summary>Creates a spatial transformer for inputs of shape [N, <paramref name="channels"/>, <paramref name="height"/>, <paramref name="width"/>].</summary>
    /// <param name="channels">Input channels C.</param>
    /// <param name="height">Input height H, at least <see cref="LocalisationNet.MinimumInputSize"/>.</param>
    /// <param name="width">Input width W, at least <see cref="LocalisationNet.MinimumInputSize"/>.</param>
    /// <param name="outputHeight">Output height H′, at least 1.</param>
    /// <param name="outputWidth">Output width W′, at least 1.</param>
    /// <param name="kind">The transform family θ is restricted to.</param>
    /// <param name="sampling">Interpolation used by the sampler.</param>
    /// <param name="padding">What source coordinates outside the input read.</param>
    /// <param name="alignCorners">The pixel-placement convention shared by grid generator and sampler.</param>
    /// <param name="controlPointGridSize">K of a <see cref="TransformKind.ThinPlateSpline"/> (ignored by the other kinds).</param>
    /// <param name="transformerCount">T, the number of transformers sharing the localisation network.</param>
    /// <param name="initialParameters">The untrained localisation network's output, T blocks of parameters; <c>null</c>
    /// (default) starts every transformer at the identity.</param>
    /// <param name="refinementSteps">How often the localisation network looks at the input (1: once, the classic
    /// spatial transformer); more than 1 needs a matrix kind, not a thin-plate spline.</param>
    /// <param name="localisationWidth">Width factor of the localisation network's layers.</param>
    /// <param name="localisationBatchNorm">Batch normalisation after each of the localisation network's convolutions.</param>
    /// <param name="momentView">Start from this <see cref="MomentNormalisation"/> view instead of the whole input
    /// (<see cref="MomentView.None"/>); a view needs a matrix kind, not a thin-plate spline.</param>
    /// <param name="viewHeight">Height at which the localisation network reads each view; <c>null</c> (default) reads
    /// it at the input's height. Another height needs a moment view, so that every look reads a view.</param>
    /// <param name="viewWidth">Width at which the localisation network reads each view; <c>null</c> (default): the input's.</param>
    /// <exception cref="ArgumentException">A size or count is out of range, moment normalisation is asked of a thin-plate
    /// spline, or a view size other than the input's is asked without a moment view.</exception>
    public SpatialTransformer(
        int channels,
        int height,
        int width,
        int outputHeight,
        int outputWidth,
        TransformKind kind = TransformKind.Affine,
        SamplingMode sampling = SamplingMode.Bilinear,
        PaddingMode padding = PaddingMode.Zeros,
        bool alignCorners = false,
        int controlPointGridSize = ThinPlateSplineGrid.DefaultControlPointGridSize,
        int transformerCount = 1,
        float[]? initialParameters = null,
        int refinementSteps = 1,
        int localisationWidth = 1,
        bool localisationBatchNorm = false,
        MomentView momentView = MomentView.None,
        int? viewHeight = null,
        int? viewWidth = null)
        : base(TorchRuntime.CheckedModuleName("spatial_transformer"))
    {
        GridGenerator.ValidateOutputSize(outputHeight, outputWidth);
        if (kind == TransformKind.ThinPlateSpline)
            ThinPlateSplineGrid.Validate(controlPointGridSize, outputHeight, outputWidth);
        ValidateRefinementSteps(refinementSteps, kind);
        if (!Enum.IsDefined(momentView))
            throw new ArgumentException($"unknown moment view {momentView}", nameof(momentView));
        if (momentView != MomentView.None && kind == TransformKind.ThinPlateSpline)
            throw new ArgumentException("moment normalisation starts from a matrix, so a thin-plate spline cannot take it", nameof(momentView));
        ViewHeight = viewHeight ?? height;
        ViewWidth = viewWidth ?? width;
        if ((ViewHeight != height || ViewWidth != width) && momentView == MomentView.None)
        {
            throw new ArgumentException(
                $"without a moment view the localisation network's first look is the input itself, so it reads views at the input's size {height}×{width}, not {ViewHeight}×{ViewWidth}",
                nameof(viewHeight));
        }
        localisation = new LocalisationNet(channels, ViewHeight, ViewWidth, kind, controlPointGridSize, transformerCount, initialParameters,
            localisationWidth, localisationBatchNorm);
        RefinementSteps = refinementSteps;
        MomentView = momentView;
        if (kind == TransformKind.ThinPlateSpline)
            _thinPlateSpline = new ThinPlateSplineGrid(controlPointGridSize, outputHeight, outputWidth, alignCorners);
        ControlPointGridSize = controlPointGridSize;
        TransformerCount = transformerCount;
        Kind = kind;
        Channels = channels;
        Height = height;
        Width = width;
        OutputHeight = outputHeight;
        OutputWidth = outputWidth;
        Sampling = sampling;
        Padding = padding;
        AlignCorners = alignCorners;
        RegisterComponents();
    }

    /// <summary>The transform family θ is restricted to.</summary>
    public TransformKind Kind { get; }

    /// <summary>Input channels C.</summary>
    public int Channels { get; }

    /// <summary>Input height H.</summary>
    public int Height { get; }

    /// <summary>Input width W.</summary>
    public int Width { get; }

    /// <summary>Output height H′.</summary>
    public int OutputHeight { get; }

    /// <summary>Output width W′.</summary>
    public int OutputWidth { get; }

    /// <summary>Interpolation used by the sampler.</summary>
    public SamplingMode Sampling { get; }

    /// <summary>What source coordinates outside the input read.</summary>
    public PaddingMode Padding { get; }

    /// <summary>The pixel-placement convention shared by grid generator and sampler.</summary>
    public bool AlignCorners { get; }

    /// <summary>The grid generator of a <see cref="TransformKind.ThinPlateSpline"/> transformer; null for the other kinds.</summary>
    internal ThinPlateSplineGrid? ThinPlateSpline => _thinPlateSpline;

    /// <summary>K of a <see cref="TransformKind.ThinPlateSpline"/> transformer.</summary>
    public int ControlPointGridSize { get; }

    /// <summary>T, the number of transformers sharing the localisation network.</summary>
    public int TransformerCount { get; }

    /// <summary>How often the localisation network looks at the input (1: once, the classic spatial transformer).</summary>
    public int RefinementSteps { get; }

    /// <summary>Which <see cref="MomentNormalisation"/> view the localisation network starts from, if any.</summary>
    public MomentView MomentView { get; }

    /// <summary>Height at which the localisation network reads each view.</summary>
    public int ViewHeight { get; }

    /// <summary>Width at which the localisation network reads each view.</summary>
    public int ViewWidth { get; }

    /// <summary>The localisation network that regresses the transform parameters.</summary>
    public LocalisationNet Localisation => localisation;

    /// <summary>Throws unless <paramref name="refinementSteps"/> is at least 1, and 1 for a thin-plate spline.</summary>
    /// <exception cref="ArgumentException">The step count is out of range for the kind.</exception>
    public static void ValidateRefinementSteps(int refinementSteps, TransformKind kind)
    {
        if (refinementSteps < 1)
            throw new ArgumentException($"expected at least one refinement step, got {refinementSteps}", nameof(refinementSteps));
        if (refinementSteps > 1 && kind == TransformKind.ThinPlateSpline)
        {
            throw new ArgumentException(
                $"refinement composes matrices, so a thin-plate spline takes one step, got {refinementSteps}", nameof(refinementSteps));
        }
    }

    /// <summary>Regresses θ from U and warps U with it.</summary>
    /// <param name="input">U of shape [N, C, H, W] matching the constructor.</param>
    /// <returns>
    /// θ and V. With one transformer θ is [N, 2, 3] ([N, 3, 3] for <see cref="TransformKind.Projective"/>, [N, K², 2]
    /// for <see cref="TransformKind.ThinPlateSpline"/>) and V is [N, C, H′, W′]; with T transformers θ gains a
    /// dimension T after N and V has T·C channels, transformer after transformer.
    /// </returns>
    /// <exception cref="ArgumentException">The input has the wrong shape.</exception>
    public override (Tensor Theta, Tensor RectifiedImage) forward(Tensor input)
    {
        ValidateInput(input, Channels, Height, Width);
        using var scope = NewDisposeScope();
        var start = MomentView == MomentView.None ? null : MomentNormalisation.StartTheta(input, Kind, AlignCorners, MomentView);
        var parameters = localisation.forward(start is null ? input : Warp(input, start, ViewHeight, ViewWidth, Sampling, Padding, AlignCorners));
        int count = localisation.ParameterCount;
        var thetas = new Tensor[TransformerCount];
        var outputs = new Tensor[TransformerCount];
        for (int t = 0; t < TransformerCount; t++)
        {
            thetas[t] = TransformParameterisation.ToTheta(Kind, parameters.narrow(1, t * count, count), ControlPointGridSize);
            if (start is not null)
                thetas[t] = Compose(start, Correction(thetas[t]));
            for (int step = 1; step < RefinementSteps; step++)
            {
                var seen = Warp(input, thetas[t], ViewHeight, ViewWidth, Sampling, Padding, AlignCorners);
                var correction = TransformParameterisation.ToTheta(Kind, localisation.forward(seen).narrow(1, t * count, count));
                thetas[t] = Compose(thetas[t], Correction(correction));
            }
            outputs[t] = WarpUnchecked(input, thetas[t]);
        }

        var theta = TransformerCount == 1 ? thetas[0] : stack(thetas, 1);
        var output = TransformerCount == 1 ? outputs[0] : cat(outputs, 1);
        return (theta.MoveToOuterDisposeScope(), output.MoveToOuterDisposeScope());
    }

    /// <summary>Warps an input with one transformer's θ using this transformer's output size, sampling, padding and convention.</summary>
    /// <param name="input">U of shape [N, C, H, W] matching the constructor.</param>
    /// <param name="theta">θ of shape [N, 2, 3] or [N, 3, 3], or [N, K², 2] for a thin-plate spline.</param>
    /// <returns>V of shape [N, C, H′, W′].</returns>
    /// <exception cref="ArgumentException">The input or θ has the wrong shape.</exception>
    public Tensor Warp(Tensor input, Tensor theta)
    {
        ValidateInput(input, Channels, Height, Width);
        return WarpUnchecked(input, theta);
    }

    /// <summary>A regressed correction as it is composed: scale kept for the views that fix it (<see cref="MomentNormalisation.FixesScale"/>).</summary>
    private Tensor Correction(Tensor regressed) =>
        MomentNormalisation.FixesScale(MomentView) ? MomentNormalisation.KeepScale(regressed) : regressed;

    /// <summary>
    /// θ ∘ Δ: the θ that reads the input where Δ reads the view that θ produced. Both are [N, 2, 3] or [N, 3, 3].
    /// </summary>
    private static Tensor Compose(Tensor theta, Tensor correction)
    {
        if (theta.shape[1] == 3)
            return theta.matmul(correction);
        using var scope = NewDisposeScope();
        var linear = theta.narrow(2, 0, 2);
        var composedLinear = linear.matmul(correction.narrow(2, 0, 2));
        var composedShift = linear.matmul(correction.narrow(2, 2, 1)).Plus(theta.narrow(2, 2, 1));
        return cat([composedLinear, composedShift], 2).MoveToOuterDisposeScope();
    }

    /// <summary>Releases the thin-plate spline's precomputed matrices with the module.</summary>
    /// <param name="disposing">Whether this is a call of <see cref="IDisposable.Dispose"/>.</param>
    protected override void Dispose(bool disposing)
    {
        if (disposing) _thinPlateSpline?.Dispose();
        base.Dispose(disposing);
    }

    private Tensor WarpUnchecked(Tensor input, Tensor theta)
    {
        if (_thinPlateSpline is null)
            return Warp(input, theta, OutputHeight, OutputWidth, Sampling, Padding, AlignCorners);
        using var scope = NewDisposeScope();
        var grid = _thinPlateSpline.Generate(theta);
        return Sampler.Sample(input, grid, Sampling, Padding, AlignCorners).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Warps an input with a given θ, without a localisation network: builds the H′×W′ grid from θ and samples the
    /// input there. Use this to apply a θ produced by a trained transformer to another image. For a thin-plate
    /// spline, generate the grid with <see cref="ThinPlateSplineGrid.Generate"/> and sample it with
    /// <see cref="Sampler.Sample"/>.
    /// </summary>
    /// <param name="input">U of shape [N, C, H, W], floating point.</param>
    /// <param name="theta">θ of shape [N, 2, 3] (affine) or [N, 3, 3] (homography) in the dtype of <paramref name="input"/>.</param>
    /// <param name="outputHeight">Output height H′, at least 1.</param>
    /// <param name="outputWidth">Output width W′, at least 1.</param>
    /// <param name="sampling">Interpolation mode.</param>
    /// <param name="padding">What source coordinates outside the input read.</param>
    /// <param name="alignCorners">The pixel-placement convention (see <see cref="GridGenerator"/>).</param>
    /// <returns>V of shape [N, C, H′, W′].</returns>
    /// <exception cref="ArgumentException">The input or θ has the wrong shape, or an output size is not positive.</exception>
    public static Tensor Warp(
        Tensor input,
        Tensor theta,
        int outputHeight,
        int outputWidth,
        SamplingMode sampling = SamplingMode.Bilinear,
        PaddingMode padding = PaddingMode.Zeros,
        bool alignCorners = false)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(theta);
        if (input.dim() != 4)
        {
            throw new ArgumentException($"expected input of shape [N, C, H, W], got {ShapeText.Of(input.shape)}", nameof(input));
        }

        GridGenerator.ValidateTheta(theta, input.shape[0]);
        GridGenerator.ValidateOutputSize(outputHeight, outputWidth);
        using var scope = NewDisposeScope();
        var grid = GridGenerator.Generate(theta, outputHeight, outputWidth, alignCorners);
        return Sampler.Sample(input, grid, sampling, padding, alignCorners).MoveToOuterDisposeScope();
    }

    /// <summary>Throws unless the input is [N, channels, height, width].</summary>
    internal static void ValidateInput(Tensor input, int channels, int height, int width)
    {
        ArgumentNullException.ThrowIfNull(input);
        var shape = input.shape;
        if (shape.Length != 4 || shape[1] != channels || shape[2] != height || shape[3] != width)
        {
            throw new ArgumentException(
                $"expected input of shape [N, {channels}, {height}, {width}], got {ShapeText.Of(shape)}", nameof(input));
        }
    }
}
