using Microsoft.ML.Stn.Platform;
using static TorchSharp.torch;

namespace Microsoft.ML.Stn.Network;

/// <summary>
/// A spatial transformer (Jaderberg et al., 2015): a localisation network regresses θ from the input U, the grid
/// generator maps the H′×W′ output grid through θ, and the sampler reads U there to produce V.
/// </summary>
/// <remarks>
/// θ maps normalised output coordinates to normalised input coordinates (x right, y down, see
/// <see cref="GridGenerator"/> for the two pixel conventions). A freshly constructed transformer outputs the
/// identity θ, so V equals U (resampled to H′×W′) until it is trained.
/// </remarks>
public sealed class SpatialTransformer : nn.Module<Tensor, (Tensor Theta, Tensor RectifiedImage)>
{
    private readonly LocalisationNet localisation;

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
    /// <exception cref="ArgumentException">A size is out of range.</exception>
    public SpatialTransformer(
        int channels,
        int height,
        int width,
        int outputHeight,
        int outputWidth,
        TransformKind kind = TransformKind.Affine,
        SamplingMode sampling = SamplingMode.Bilinear,
        PaddingMode padding = PaddingMode.Zeros,
        bool alignCorners = false)
        : base(TorchRuntime.CheckedModuleName("spatial_transformer"))
    {
        GridGenerator.ValidateOutputSize(outputHeight, outputWidth);
        localisation = new LocalisationNet(channels, height, width, kind);
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

    /// <summary>The localisation network that regresses the transform parameters.</summary>
    public LocalisationNet Localisation => localisation;

    /// <summary>Regresses θ from U and warps U with it.</summary>
    /// <param name="input">U of shape [N, C, H, W] matching the constructor.</param>
    /// <returns>θ ([N, 2, 3], or [N, 3, 3] for <see cref="TransformKind.Projective"/>) and the rectified image V of shape [N, C, H′, W′].</returns>
    /// <exception cref="ArgumentException">The input has the wrong shape.</exception>
    public override (Tensor Theta, Tensor RectifiedImage) forward(Tensor input)
    {
        ValidateInput(input, Channels, Height, Width);
        using var scope = NewDisposeScope();
        var theta = TransformParameterisation.ToMatrix(Kind, localisation.forward(input));
        var rectifiedImage = Warp(input, theta, OutputHeight, OutputWidth, Sampling, Padding, AlignCorners);
        return (theta.MoveToOuterDisposeScope(), rectifiedImage.MoveToOuterDisposeScope());
    }

    /// <summary>Warps an input with a given θ using this transformer's output size, sampling, padding and convention.</summary>
    /// <param name="input">U of shape [N, C, H, W] matching the constructor.</param>
    /// <param name="theta">θ of shape [N, 2, 3] or [N, 3, 3].</param>
    /// <returns>V of shape [N, C, H′, W′].</returns>
    /// <exception cref="ArgumentException">The input or θ has the wrong shape.</exception>
    public Tensor Warp(Tensor input, Tensor theta)
    {
        ValidateInput(input, Channels, Height, Width);
        return Warp(input, theta, OutputHeight, OutputWidth, Sampling, Padding, AlignCorners);
    }

    /// <summary>
    /// Warps an input with a given θ, without a localisation network: builds the H′×W′ grid from θ and samples the
    /// input there. Use this to apply a θ produced by a trained transformer to another image.
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
