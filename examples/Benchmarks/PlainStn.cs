using Microsoft.ML.Stn.Network;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Benchmarks;

/// <summary>
/// The network StnClassify trains, assembled by hand from the library's public <see cref="SpatialTransformer"/> and a
/// classifier with the layer sizes of its internal one, so the plain loop does the same arithmetic.
/// </summary>
internal sealed class PlainStn : nn.Module<Tensor, (Tensor Logits, Tensor Theta)>
{
    private const int MaxFeatureSide = 8;
    private readonly SpatialTransformer _transformer;
    private readonly Sequential _classifier;
    private readonly float _inputScale;

    public PlainStn(int channels, int side, int classCount, float inputScale) : base("plain_stn")
    {
        _inputScale = inputScale;
        _transformer = new SpatialTransformer(channels, side, side, side, side);
        var layers = new List<(string, nn.Module<Tensor, Tensor>)>
        {
            ("conv1", nn.Conv2d(channels, 32, 3, padding: 1)),
            ("relu1", nn.ReLU()),
            ("pool1", nn.MaxPool2d(2)),
            ("conv2", nn.Conv2d(32, 64, 3, padding: 1)),
            ("relu2", nn.ReLU()),
            ("pool2", nn.MaxPool2d(2)),
        };
        int featureSide = side / 4;
        for (int i = 3; featureSide > MaxFeatureSide; i++)
        {
            layers.Add(($"pool{i}", nn.MaxPool2d(2)));
            featureSide /= 2;
        }

        layers.Add(("flatten", nn.Flatten()));
        layers.Add(("fc1", nn.Linear(64L * featureSide * featureSide, 128)));
        layers.Add(("relu", nn.ReLU()));
        layers.Add(("dropout", nn.Dropout(0.3)));
        layers.Add(("fc2", nn.Linear(128, classCount)));
        _classifier = nn.Sequential(layers);
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
