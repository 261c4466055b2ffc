using Microsoft.ML.Stn.Network;
using TorchSharp;
using static TorchSharp.torch;

namespace Benchmarks;

/// <summary>
/// The network StnClassify trains, assembled by hand from the library's public <see cref="SpatialTransformer"/> and
/// <see cref="ClassifierNet"/>, so the plain loop does the same arithmetic without any of the ML.NET plumbing.
/// </summary>
internal sealed class PlainStn : nn.Module<Tensor, (Tensor Logits, Tensor Theta)>
{
    private readonly SpatialTransformer _transformer;
    private readonly ClassifierNet _classifier;
    private readonly float _inputScale;

    public PlainStn(int channels, int side, int classCount, float inputScale) : base("plain_stn")
    {
        _inputScale = inputScale;
        _transformer = new SpatialTransformer(channels, side, side, side, side);
        _classifier = new ClassifierNet(channels, side, side, classCount);
        RegisterComponents();
    }

    public override (Tensor Logits, Tensor Theta) forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var (theta, rectified) = _transformer.forward(input * _inputScale);
        var logits = _classifier.forward(rectified);
        return (logits.MoveToOuterDisposeScope(), theta.MoveToOuterDisposeScope());
    }
}
