using Microsoft.ML.Stn.Platform;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Stn.Network;

/// <summary>
/// The localisation network of a spatial transformer: a small CNN with a fully connected head that regresses the
/// P transform parameters of a <see cref="TransformKind"/> from the input feature map, or, for several transformers
/// sharing it, one block of P parameters per transformer.
/// </summary>
/// <remarks>
/// Two convolution → max-pool → ReLU blocks (kernel 7 then 5, as in the PyTorch spatial transformer tutorial)
/// are followed by as many extra 3×3 convolution → max-pool → ReLU blocks as it takes to bring each spatial side
/// down to at most <see cref="MaximumPooledSize"/>, so the flattened feature count stays modest from 28×28 up to
/// large inputs. The last linear layer starts at zero weights with the identity parameters as bias, so training
/// starts from the identity transform, as the paper recommends.
/// </remarks>
public sealed class LocalisationNet : nn.Module<Tensor, Tensor>
{
    /// <summary>
    /// Smallest height and width accepted: 18 − 6 = 12 after the 7×7 convolution, 6 after pooling, 2 after the 5×5
    /// convolution and 1 after the second pooling.
    /// </summary>
    public const int MinimumInputSize = 18;

    /// <summary>Extra pooling stages are added while a spatial side of the feature map is larger than this.</summary>
    public const int MaximumPooledSize = 6;

    private const int FirstChannels = 8;
    private const int SecondChannels = 10;
    private const int HiddenUnits = 32;

    private readonly Sequential features;
    private readonly Linear hidden;
    private readonly Linear head;

    /// <summary>Creates a localisation network for inputs of shape [N, <paramref name="channels"/>, <paramref name="height"/>, <paramref name="width"/>].</summary>
    /// <param name="channels">Input channels C, at least 1.</param>
    /// <param name="height">Input height H, at least <see cref="MinimumInputSize"/>.</param>
    /// <param name="width">Input width W, at least <see cref="MinimumInputSize"/>.</param>
    /// <param name="kind">The transform family whose parameters are regressed.</param>
    /// <param name="controlPointGridSize">K of a <see cref="TransformKind.ThinPlateSpline"/> (ignored by the other kinds).</param>
    /// <param name="transformerCount">Number of parameter blocks regressed, one per transformer sharing this network.</param>
    /// <param name="initialParameters">The output of the untrained network (the last layer's bias), all blocks one
    /// after the other; <c>null</c> (default) starts every block at the identity.</param>
    /// <param name="widthFactor">Multiplies the width of every layer (8 and 10 channels, 32 hidden units); at least 1.</param>
    /// <param name="batchNorm">Batch normalisation after each convolution.</param>
    /// <exception cref="ArgumentException">The input size is too small, the channel count, transformer count or width
    /// factor is not positive, or <paramref name="initialParameters"/> has the wrong length.</exception>
    public LocalisationNet(int channels, int height, int width, TransformKind kind = TransformKind.Affine,
        int controlPointGridSize = ThinPlateSplineGrid.DefaultControlPointGridSize, int transformerCount = 1, float[]? initialParameters = null,
        int widthFactor = 1, bool batchNorm = false)
        : base(TorchRuntime.CheckedModuleName("localisation"))
    {
        Validate(channels, height, width);
        if (transformerCount < 1)
            throw new ArgumentException($"expected at least one transformer, got {transformerCount}", nameof(transformerCount));
        if (widthFactor < 1)
            throw new ArgumentException($"expected a width factor of at least 1, got {widthFactor}", nameof(widthFactor));
        int first = FirstChannels * widthFactor, second = SecondChannels * widthFactor;
        Kind = kind;
        Channels = channels;
        Height = height;
        Width = width;
        TransformerCount = transformerCount;
        ParameterCount = TransformParameterisation.ParameterCount(kind, controlPointGridSize);
        var bias = initialParameters ?? Enumerable.Range(0, transformerCount)
            .SelectMany(_ => TransformParameterisation.IdentityParameters(kind, controlPointGridSize)).ToArray();
        if (bias.Length != transformerCount * ParameterCount)
        {
            throw new ArgumentException(
                $"expected {transformerCount * ParameterCount} initial parameters ({transformerCount} × {ParameterCount}), got {bias.Length}",
                nameof(initialParameters));
        }

        var layers = new List<(string, nn.Module<Tensor, Tensor>)>();
        void Block(int stage, Conv2d convolution, long outputChannels, MaxPool2d pool)
        {
            layers.Add(($"conv{stage}", convolution));
            if (batchNorm) layers.Add(($"norm{stage}", nn.BatchNorm2d(outputChannels)));
            layers.Add(($"pool{stage}", pool));
            layers.Add(($"relu{stage}", nn.ReLU()));
        }

        Block(1, nn.Conv2d(channels, first, 7), first, nn.MaxPool2d(2));
        Block(2, nn.Conv2d(first, second, 5), second, nn.MaxPool2d(2));
        long h = ((height - 6) / 2 - 4) / 2;
        long w = ((width - 6) / 2 - 4) / 2;
        for (int stage = 3; h > MaximumPooledSize || w > MaximumPooledSize; stage++)
        {
            // Pool only the sides that are still large, so a long thin input does not collapse its short side.
            long poolH = h > MaximumPooledSize ? 2 : 1;
            long poolW = w > MaximumPooledSize ? 2 : 1;
            Block(stage, nn.Conv2d(second, second, 3, padding: 1), second, nn.MaxPool2d((poolH, poolW)));
            h /= poolH;
            w /= poolW;
        }

        FlattenedSize = second * h * w;
        features = nn.Sequential(layers);
        hidden = nn.Linear(FlattenedSize, HiddenUnits * widthFactor);
        head = nn.Linear(HiddenUnits * widthFactor, transformerCount * ParameterCount);
        using (no_grad())
        {
            head.weight!.zero_();
            using var initial = tensor(bias);
            head.bias!.copy_(initial);
        }

        RegisterComponents();
    }

    /// <summary>The transform family whose parameters are regressed.</summary>
    public TransformKind Kind { get; }

    /// <summary>Input channels C.</summary>
    public int Channels { get; }

    /// <summary>Input height H.</summary>
    public int Height { get; }

    /// <summary>Input width W.</summary>
    public int Width { get; }

    /// <summary>Number of regressed parameters P per transformer.</summary>
    public int ParameterCount { get; }

    /// <summary>Number of parameter blocks regressed, one per transformer.</summary>
    public int TransformerCount { get; }

    /// <summary>Number of features entering the fully connected head, computed from the layer shapes.</summary>
    public long FlattenedSize { get; }

    /// <summary>The convolution blocks, the hidden layer (followed by a ReLU in <see cref="forward"/>) and the head, for the ONNX export.</summary>
    internal (Sequential Features, Linear Hidden, Linear Head) Layers => (features, hidden, head);

    /// <summary>Throws unless an input of the given size is supported.</summary>
    /// <param name="channels">Input channels C.</param>
    /// <param name="height">Input height H.</param>
    /// <param name="width">Input width W.</param>
    /// <exception cref="ArgumentException">The input is smaller than <see cref="MinimumInputSize"/> on a side or has no channels.</exception>
    public static void Validate(int channels, int height, int width)
    {
        if (channels <= 0 || height < MinimumInputSize || width < MinimumInputSize)
        {
            throw new ArgumentException(
                $"expected input of shape [N, C >= 1, H >= {MinimumInputSize}, W >= {MinimumInputSize}], got [N, {channels}, {height}, {width}]");
        }
    }

    /// <summary>Regresses the transform parameters.</summary>
    /// <param name="input">U of shape [N, C, H, W] matching the constructor.</param>
    /// <returns>Parameters of shape [N, <see cref="TransformerCount"/>·P], transformer after transformer.</returns>
    /// <exception cref="ArgumentException">The input has the wrong shape.</exception>
    public override Tensor forward(Tensor input)
    {
        SpatialTransformer.ValidateInput(input, Channels, Height, Width);
        using var scope = NewDisposeScope();
        var x = features.forward(input).flatten(1);
        x = nn.functional.relu(hidden.forward(x));
        return head.forward(x).MoveToOuterDisposeScope();
    }
}
