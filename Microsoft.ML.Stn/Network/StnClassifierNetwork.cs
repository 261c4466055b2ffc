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
/// the output size differs), which makes the same classifier an honest baseline.
/// </summary>
internal sealed class StnClassifierNetwork : nn.Module<Tensor, (Tensor Logits, Tensor Theta, Tensor RectifiedImage)>
{
    private readonly SpatialTransformer? _transformer;
    private readonly ClassifierNet _classifier;

    // The field carries the buffer's saved name, so that moving the module to a device (which replaces each buffer by
    // its name) also updates the field: under another name the field would keep the disposed original.
    [ComponentName(Name = "input_scale")]
    private readonly Tensor _inputScale;

    public StnArchitecture Architecture { get; }

    /// <summary>Where the weights are, and so where inputs must be: the CPU until <see cref="MoveTo"/>.</summary>
    public Device Device { get; private set; } = CPU;

    public StnClassifierNetwork(StnArchitecture architecture) : base(TorchRuntime.CheckedModuleName("stn_classifier"))
    {
        Architecture = architecture;
        if (architecture.UseSpatialTransformer)
        {
            _transformer = new SpatialTransformer(architecture.Channels, architecture.Height, architecture.Width,
                architecture.OutputHeight, architecture.OutputWidth, architecture.Transform, architecture.Sampling,
                architecture.Padding, architecture.AlignCorners);
        }
        _classifier = new ClassifierNet(architecture.Channels, architecture.OutputHeight, architecture.OutputWidth,
            architecture.ClassCount);
        _inputScale = ones(1).DetachFromDisposeScope();
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

    /// <summary>The localisation net's parameters (none without a spatial transformer).</summary>
    public IEnumerable<Parameter> LocalisationParameters() =>
        _transformer?.Localisation.parameters() ?? Enumerable.Empty<Parameter>();

    /// <summary>Sets the factor that brings the training data to unit root mean square.</summary>
    public void SetInputScale(float scale)
    {
        using var _ = no_grad();
        _inputScale.fill_(scale);
    }

    public override (Tensor Logits, Tensor Theta, Tensor RectifiedImage) forward(Tensor input)
    {
        var a = Architecture;
        var scaled = input * _inputScale;
        Tensor theta, rectifiedImage;
        if (_transformer is not null)
        {
            (theta, rectifiedImage) = _transformer.forward(scaled);
        }
        else
        {
            // Made where the input is: a tensor from a host array would cost a host-to-device copy per batch.
            theta = eye(a.ThetaLength / 3, 3, input.dtype, input.device).unsqueeze(0).expand(input.shape[0], -1, -1);
            rectifiedImage = a.OutputHeight == a.Height && a.OutputWidth == a.Width
                ? scaled
                : SpatialTransformer.Warp(scaled, theta, a.OutputHeight, a.OutputWidth, a.Sampling, a.Padding, a.AlignCorners);
        }
        return (_classifier.forward(rectifiedImage), theta, rectifiedImage / _inputScale);
    }
}
