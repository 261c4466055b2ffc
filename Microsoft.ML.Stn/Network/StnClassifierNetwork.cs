using Microsoft.ML.Stn.Platform;
using TorchSharp;
using TorchSharp.Modules;
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
    private readonly Tensor _inputScale;
    private readonly float[] _identity;

    public StnArchitecture Architecture { get; }

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
        // A plain array, not a tensor field: RegisterComponents would make a tensor field a saved buffer.
        _identity = new float[architecture.ThetaLength];
        for (int i = 0; i < architecture.ThetaLength; i += 4) _identity[i] = 1;
        register_buffer("input_scale", _inputScale);
        RegisterComponents();
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
            theta = tensor(_identity, new long[] { 1, a.ThetaLength / 3, 3 }).expand(input.shape[0], -1, -1);
            rectifiedImage = a.OutputHeight == a.Height && a.OutputWidth == a.Width
                ? scaled
                : SpatialTransformer.Warp(scaled, theta, a.OutputHeight, a.OutputWidth, a.Sampling, a.Padding, a.AlignCorners);
        }
        return (_classifier.forward(rectifiedImage), theta, rectifiedImage / _inputScale);
    }
}
