using Microsoft.ML.Stn.Platform;
using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace Microsoft.ML.Stn.Network;

/// <summary>
/// Spatial transformer followed by the classifier. The input is divided by the training set's root mean square so the
/// networks see values of order one whatever the pixel range; a pure scale keeps zero padding meaning the input's own
/// black background and commutes with interpolation, so the rectified image is the scaled-back sampler output.
/// The scale is a buffer of the module and so travels with the weights.
/// Without the spatial transformer the warp is the identity and the classifier reads the input (resampled only if
/// the output size differs), which makes the same classifier an honest baseline. With T transformers the classifier
/// reads their T rectified images stacked along the channel axis (T copies of the input for the baseline).
/// θ leaves this module flattened, [N, T·(θ length)], transformer after transformer.
/// </summary>
internal sealed class StnClassifierNetwork : nn.Module<Tensor, (Tensor Logits, Tensor Theta, Tensor RectifiedImage)>
{
    private readonly SpatialTransformer? _transformer;
    private readonly ClassifierNet _classifier;
    private readonly float[] _identity;

    // The field carries the buffer's saved name, so that moving the module to a device (which replaces each buffer by
    // its name) also updates the field: under another name the field would keep the disposed original.
    [ComponentName(Name = "input_scale")]
    private readonly Tensor _inputScale;

    public StnArchitecture Architecture { get; }

    /// <summary>Where the weights are, and so where inputs must be: the CPU until <see cref="MoveTo"/>.</summary>
    public Device Device { get; private set; } = CPU;

    public StnClassifierNetwork(StnArchitecture architecture) : base(TorchRuntime.CheckedModuleName("stn_classifier"))
    {
        var a = Architecture = architecture;
        if (a.UseSpatialTransformer)
        {
            // Every transformer starts at the identity. Starting two on the halves of the input (the paper's CUB
            // tiling) did no better on the glyph-sum task: 6.93 % error against 6.90 % over three seeds
            // (examples/ParallelTransformers with the classic localisation net). From the same start the heads still
            // part, since each feeds its own channels of the classifier's first layer.
            _transformer = new SpatialTransformer(a.Channels, a.Height, a.Width, a.OutputHeight, a.OutputWidth, a.Transform,
                a.Sampling, a.Padding, a.AlignCorners, a.ControlPointGridSize, a.TransformerCount, initialParameters: null,
                a.RefinementSteps, a.LocalisationWidth, a.LocalisationBatchNorm, a.MomentView, a.ViewSize.Height, a.ViewSize.Width);
        }
        _classifier = new ClassifierNet(a.RectifiedChannels, a.OutputHeight, a.OutputWidth, a.ClassCount, a.ClassifierBatchNorm);
        _inputScale = ones(1).DetachFromDisposeScope();
        // A plain array, not a tensor field: RegisterComponents would make a tensor field a saved buffer.
        var identity = a.Transform == TransformKind.ThinPlateSpline
            ? ThinPlateSplineGrid.IdentityTheta(a.ControlPointGridSize)
            : TransformParameterisation.MatrixRows(a.Transform) == 3 ? [1f, 0f, 0f, 0f, 1f, 0f, 0f, 0f, 1f] : [1f, 0f, 0f, 0f, 1f, 0f];
        _identity = [.. Enumerable.Repeat(identity, a.TransformerCount).SelectMany(block => block)];
        register_buffer("input_scale", _inputScale);
        RegisterComponents();
    }

    /// <summary>Moves the weights and buffers to <paramref name="device"/> (parameters are replaced: build optimisers after).</summary>
    public void MoveTo(Device device)
    {
        this.to(device);
        Device = device;
    }

    /// <summary>The spatial transformer (null for the baseline), the classifier and the input scale, for the ONNX export.</summary>
    internal (SpatialTransformer? Transformer, ClassifierNet Classifier, float InputScale) Parts =>
        (_transformer, _classifier, _inputScale.item<float>());

    /// <summary>The baseline's θ, one identity block per transformer, flattened as its forward pass outputs it.</summary>
    internal float[] IdentityTheta => [.. _identity];

    /// <summary>The localisation net's parameters (none without a spatial transformer).</summary>
    public IEnumerable<Parameter> LocalisationParameters() =>
        _transformer?.Localisation.parameters() ?? Enumerable.Empty<Parameter>();

    /// <summary>
    /// One bounding box per transformer, [N, T·4], in input pixel edges (see <see cref="BoundingBox"/>): the corners
    /// through θ, or for a thin-plate spline the sampled outer edge through it; the whole input for the baseline.
    /// </summary>
    public Tensor BoundingBoxes(Tensor theta)
    {
        var a = Architecture;
        using var scope = NewDisposeScope();
        long n = theta.shape[0], boxes = n * a.TransformerCount;
        Tensor box;
        if (_transformer?.ThinPlateSpline is { } thinPlateSpline)
        {
            var normalised = thinPlateSpline.EnclosingBox(theta.reshape(boxes, -1, 2));
            box = BoundingBox.ToPixelEdges(normalised, a.Height, a.Width, a.AlignCorners);
        }
        else
        {
            var matrices = _transformer is null ? AffineIdentity(theta).expand(boxes, -1, -1) : theta.reshape(boxes, -1, 3);
            box = BoundingBox.FromTheta(matrices, a.OutputHeight, a.OutputWidth, a.Height, a.Width, a.AlignCorners);
        }
        return box.reshape(n, a.BoundingBoxesLength).MoveToOuterDisposeScope();
    }

    /// <summary>The 2×3 identity θ, [1, 2, 3], in <paramref name="like"/>'s dtype on its device.</summary>
    private static Tensor AffineIdentity(Tensor like) =>
        DeviceConstants.Get($"{nameof(StnClassifierNetwork)}.AffineIdentity", 2, 3, false, like.dtype, like.device,
            () => tensor(TransformParameterisation.IdentityParameters(TransformKind.Affine), [1, 2, 3]));

    /// <summary>Sets the factor that brings the training data to unit root mean square.</summary>
    public void SetInputScale(float scale)
    {
        using var _ = no_grad();
        using var value = scale.ToScalar();
        _inputScale.fill_(value);
    }

    public override (Tensor Logits, Tensor Theta, Tensor RectifiedImage) forward(Tensor input)
    {
        var a = Architecture;
        var scaled = input * _inputScale;
        long n = input.shape[0];
        Tensor theta, rectifiedImage;
        if (_transformer is not null)
        {
            (theta, rectifiedImage) = _transformer.forward(scaled);
            theta = theta.reshape(n, a.ThetaLength);
        }
        else
        {
            theta = DeviceConstants.Get($"{nameof(StnClassifierNetwork)}.Identity.{a.Transform}.{a.ControlPointGridSize}", a.TransformerCount,
                a.ThetaLength, false, input.dtype, input.device, () => tensor(_identity, [1, a.ThetaLength])).expand(n, -1);
            var single = a.OutputHeight == a.Height && a.OutputWidth == a.Width
                ? scaled
                : SpatialTransformer.Warp(scaled, AffineIdentity(input).expand(n, -1, -1), a.OutputHeight, a.OutputWidth, a.Sampling,
                    a.Padding, a.AlignCorners);
            rectifiedImage = a.TransformerCount == 1 ? single : cat(Enumerable.Repeat(single, a.TransformerCount).ToArray(), 1);
        }
        return (_classifier.forward(rectifiedImage), theta, rectifiedImage / _inputScale);
    }
}
