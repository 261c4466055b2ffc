using Microsoft.ML.Stn.Platform;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Stn.Network;

/// <summary>
/// The CNN that classifies the rectified image: two convolution blocks, further pooling until the feature map is at
/// most 8×8 so larger images do not blow up the dense layer, then a hidden dense layer with dropout.
/// </summary>
public sealed class ClassifierNet : nn.Module<Tensor, Tensor>
{
    private const int MaxFeatureSide = 8;
    private readonly Sequential _features;
    private readonly Sequential _head;

    /// <summary>Creates a classifier of [N, <paramref name="channels"/>, <paramref name="height"/>, <paramref name="width"/>] images.</summary>
    /// <param name="channels">Input channels, 1 to <see cref="MaximumInputChannels"/>.</param>
    /// <param name="height">Input height, at least <see cref="MinimumInputSide"/>.</param>
    /// <param name="width">Input width, at least <see cref="MinimumInputSide"/>.</param>
    /// <param name="classCount">Number of classes; the output is one logit per class.</param>
    /// <param name="batchNorm">Batch normalisation after each convolution (before its ReLU).</param>
    /// <exception cref="ArgumentException">The channel count is not in [1, <see cref="MaximumInputChannels"/>].</exception>
    public ClassifierNet(int channels, int height, int width, int classCount, bool batchNorm = false)
        : base(TorchRuntime.CheckedModuleName("classifier"))
    {
        if (channels < 1 || channels > MaximumInputChannels)
        {
            throw new ArgumentException(
                $"expected 1 to {MaximumInputChannels} input channels for the classifier, got {channels}", nameof(channels));
        }

        var layers = new List<(string, nn.Module<Tensor, Tensor>)>();
        void Block(int stage, long inputChannels, long outputChannels)
        {
            layers.Add(($"conv{stage}", nn.Conv2d(inputChannels, outputChannels, 3, padding: 1)));
            if (batchNorm) layers.Add(($"norm{stage}", nn.BatchNorm2d(outputChannels)));
            layers.Add(($"relu{stage}", nn.ReLU()));
            layers.Add(($"pool{stage}", nn.MaxPool2d(2)));
        }

        Block(1, channels, FirstFilters);
        Block(2, FirstFilters, 64);
        int h = height / 4, w = width / 4;
        for (int i = 3; h > MaxFeatureSide || w > MaxFeatureSide; i++)
        {
            layers.Add(($"pool{i}", nn.MaxPool2d(2)));
            h /= 2;
            w /= 2;
        }
        _features = nn.Sequential(layers);
        _head = nn.Sequential(
            ("flatten", nn.Flatten()),
            ("fc1", nn.Linear(64L * h * w, 128)),
            ("relu", nn.ReLU()),
            ("dropout", nn.Dropout(0.3)),
            ("fc2", nn.Linear(128, classCount)));
        RegisterComponents();
    }

    /// <summary>The convolution blocks and the dense head, applied in that order, for the ONNX export.</summary>
    internal (Sequential Features, Sequential Head) Layers => (_features, _head);

    /// <summary>
    /// The most input channels accepted: as many as the first convolution's filters, so that stacking the outputs of
    /// several transformers never squeezes more planes into the first layer than it has features.
    /// </summary>
    public const int MaximumInputChannels = FirstFilters;

    private const int FirstFilters = 32;

    /// <summary>The smallest side the two 2×2 poolings accept.</summary>
    public const int MinimumInputSide = 4;

    /// <summary>Class logits [N, classCount] of images [N, C, H, W].</summary>
    /// <param name="input">The images.</param>
    public override Tensor forward(Tensor input) => _head.forward(_features.forward(input));
}
