using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Stn.Onnx;

/// <summary>The TorchSharp layers our networks are built from, as ONNX nodes with their weights as initializers.</summary>
internal static class OnnxLayers
{
    /// <summary>The children of <paramref name="sequence"/> in order; dropout is the identity in eval mode.</summary>
    public static string Sequential(OnnxGraph g, string name, Sequential sequence, string input)
    {
        var x = input;
        foreach (var (childName, module) in sequence.named_children())
        {
            string layer = $"{name}.{childName}";
            x = module switch
            {
                Conv2d conv => Conv(g, layer, conv, x),
                BatchNorm2d norm => BatchNormalization(g, layer, norm, x),
                MaxPool2d pool => MaxPool(g, layer, pool, x),
                ReLU => g.Op("Relu", layer, x),
                Flatten => g.Op("Flatten", layer, n => n.AddAttribute("axis", 1L), x),
                Linear linear => Gemm(g, layer, linear, x),
                Dropout => x,
                _ => throw new NotSupportedException($"StnClassify cannot export layer '{layer}' of type {module.GetType().Name} to ONNX."),
            };
        }
        return x;
    }

    /// <summary>Y = X·Wᵀ + b, as <see cref="Linear"/> computes it.</summary>
    public static string Gemm(OnnxGraph g, string name, Linear linear, string input) =>
        g.Op("Gemm", name, n => n.AddAttribute("transB", 1L), input, Weights(g, name + ".weight", linear.weight!), Weights(g, name + ".bias", linear.bias!));

    private static string Conv(OnnxGraph g, string name, Conv2d conv, string input)
    {
        var weight = conv.weight!;
        if (conv.padding_mode != global::TorchSharp.PaddingModes.Zeros || conv.padding is null)
            throw new NotSupportedException($"StnClassify cannot export convolution '{name}' with padding mode {conv.padding_mode} to ONNX.");
        var padding = conv.padding;
        var inputs = conv.bias is null
            ? new[] { input, Weights(g, name + ".weight", weight) }
            : new[] { input, Weights(g, name + ".weight", weight), Weights(g, name + ".bias", conv.bias) };
        return g.Op("Conv", name, n =>
        {
            n.AddAttribute("kernel_shape", new[] { weight.shape[2], weight.shape[3] });
            n.AddAttribute("strides", conv.stride);
            n.AddAttribute("dilations", conv.dilation);
            n.AddAttribute("pads", new[] { padding[0], padding[1], padding[0], padding[1] });
            n.AddAttribute("group", conv.groups);
        }, inputs);
    }

    /// <summary>Eval-mode batch normalisation: the running statistics, scale and shift.</summary>
    private static string BatchNormalization(OnnxGraph g, string name, BatchNorm2d norm, string input)
    {
        if (norm.weight is null || norm.bias is null || norm.running_mean is null || norm.running_var is null)
            throw new NotSupportedException($"StnClassify cannot export batch normalisation '{name}' without affine weights and running statistics to ONNX.");
        return g.Op("BatchNormalization", name, n => n.AddAttribute("epsilon", norm.eps),
            input, Weights(g, name + ".weight", norm.weight), Weights(g, name + ".bias", norm.bias),
            Weights(g, name + ".running_mean", norm.running_mean), Weights(g, name + ".running_var", norm.running_var));
    }

    private static string MaxPool(OnnxGraph g, string name, MaxPool2d pool, string input)
    {
        var kernel = pool.kernel_size;
        var stride = pool.stride ?? kernel;
        var padding = pool.padding ?? new long[] { 0, 0 };
        if (pool.dilation is { } dilation && dilation.Any(d => d != 1))
            throw new NotSupportedException($"StnClassify cannot export dilated max pooling '{name}' to ONNX.");
        return g.Op("MaxPool", name, n =>
        {
            n.AddAttribute("kernel_shape", kernel);
            n.AddAttribute("strides", stride);
            n.AddAttribute("pads", new[] { padding[0], padding[1], padding[0], padding[1] });
            n.AddAttribute("ceil_mode", pool.ceil_mode ? 1L : 0L);
        }, input);
    }

    private static string Weights(OnnxGraph g, string name, Tensor tensor) => g.Shared(name, () =>
    {
        using var scope = NewDisposeScope();
        var values = tensor.detach().cpu().to_type(ScalarType.Float32).contiguous().data<float>().ToArray();
        return g.Floats(name, values, tensor.shape);
    });
}
