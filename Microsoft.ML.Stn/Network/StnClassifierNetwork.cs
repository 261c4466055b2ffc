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
/// the output size differs), which makes the same classifier an honest baseline. With T transformers the classifier
/// reads their T rectified images stacked along the channel axis (T copies of the input for the baseline).
/// θ leaves this module flattened, [N, T·(θ length)], transformer after transformer.
/// </summary>
internal sealed class StnClassifierNetwork : nn.Module<Tensor, (Tensor Logits, Tensor Theta, Tensor Rectified)>
{
    private readonly SpatialTransformer? _transformer;
    private readonly ClassifierNet _classifier;
    private readonly Tensor _inputScale;
    private readonly float[] _identity;

    public StnArchitecture Architecture { get; }

    public StnClassifierNetwork(StnArchitecture architecture) : base(TorchRuntime.CheckedModuleName("stn_classifier"))
    {
        var a = Architecture = architecture;
        if (a.UseSpatialTransformer)
        {
            // Every transformer starts at the identity. Starting them on tiles of the input (the paper's CUB set-up)
            // was measured worse on the glyph-sum task: 43.9 % error against 28.2 % (examples/ParallelTransformers,
            // 3000 images, 6 epochs, 4 glyph classes): from the same start the heads still part, since each feeds
            // its own channels of the classifier's first layer.
            _transformer = new SpatialTransformer(a.Channels, a.Height, a.Width, a.OutputHeight, a.OutputWidth, a.Transform,
                a.Sampling, a.Padding, a.AlignCorners, a.ControlPointGridSize, a.TransformerCount);
        }
        _classifier = new ClassifierNet(a.RectifiedChannels, a.OutputHeight, a.OutputWidth, a.ClassCount);
        _inputScale = ones(1).DetachFromDisposeScope();
        // A plain array, not a tensor field: RegisterComponents would make a tensor field a saved buffer.
        var identity = a.Transform == TransformKind.ThinPlateSpline
            ? ThinPlateSplineGrid.IdentityTheta(a.ControlPointGridSize)
            : TransformParameterisation.MatrixRows(a.Transform) == 3 ? [1f, 0f, 0f, 0f, 1f, 0f, 0f, 0f, 1f] : [1f, 0f, 0f, 0f, 1f, 0f];
        _identity = [.. Enumerable.Repeat(identity, a.TransformerCount).SelectMany(block => block)];
        register_buffer("input_scale", _inputScale);
        RegisterComponents();
    }

    /// <summary>The localisation net's parameters (none without a spatial transformer).</summary>
    public IEnumerable<Parameter> LocalisationParameters() =>
        _transformer?.Localisation.parameters() ?? Enumerable.Empty<Parameter>();

    /// <summary>Sets the factor that brings the training data to unit root mean square.</summary>
    public void SetInputScale(float scale)
    {
        using var _ = no_grad();
        _inputScale.fill_(scale);
    }

    public override (Tensor Logits, Tensor Theta, Tensor Rectified) forward(Tensor input)
    {
        var a = Architecture;
        var scaled = input * _inputScale;
        long n = input.shape[0];
        Tensor theta, rectified;
        if (_transformer is not null)
        {
            (theta, rectified) = _transformer.forward(scaled);
            theta = theta.reshape(n, a.WarpLength);
        }
        else
        {
            theta = tensor(_identity, new long[] { 1, a.WarpLength }).expand(n, -1);
            var single = a.OutputHeight == a.Height && a.OutputWidth == a.Width
                ? scaled
                : SpatialTransformer.Warp(scaled, tensor(new[] { 1f, 0f, 0f, 0f, 1f, 0f }, new long[] { 1, 2, 3 }).expand(n, -1, -1),
                    a.OutputHeight, a.OutputWidth, a.Sampling, a.Padding, a.AlignCorners);
            rectified = a.TransformerCount == 1 ? single : cat(Enumerable.Repeat(single, a.TransformerCount).ToArray(), 1);
        }
        return (_classifier.forward(rectified), theta, rectified / _inputScale);
    }
}
