using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Stn.Datasets;

namespace Microsoft.ML.Stn.Tests.Onnx;

/// <summary>Exports pipelines with ML.NET's converter and scores the result with a plain ONNX Runtime session.</summary>
internal static class OnnxRunner
{
    public static byte[] Export(MLContext ml, ITransformer model, IDataView data)
    {
        using var stream = new MemoryStream();
        ml.Model.ConvertToOnnx(model, data, stream);
        return stream.ToArray();
    }

    /// <summary>Every output of the graph for the rows of <paramref name="images"/>, by output name, one row per image.</summary>
    public static Dictionary<string, Array[]> Score(byte[] onnx, LabelledImages images, Func<int, string> className) =>
        Score(onnx, images.Pixels, images.ImageLength, Enumerable.Range(0, images.Count).Select(i => className(images.Labels[i])).ToArray());

    /// <summary>Every output of the graph for rows of <paramref name="length"/> pixels and their labels.</summary>
    public static Dictionary<string, Array[]> Score(byte[] onnx, float[] pixels, int length, string[] labels)
    {
        using var session = new InferenceSession(onnx);
        int n = labels.Length;
        var inputs = new List<NamedOnnxValue>();
        foreach (var (name, meta) in session.InputMetadata)
        {
            if (meta.ElementType == typeof(float))
                inputs.Add(NamedOnnxValue.CreateFromTensor(name, new DenseTensor<float>(pixels.AsMemory(0, n * length), new[] { n, length })));
            else if (meta.ElementType == typeof(string))
                inputs.Add(NamedOnnxValue.CreateFromTensor(name, new DenseTensor<string>(labels, new[] { n, 1 })));
            else
                throw new InvalidOperationException($"unexpected graph input {name} of {meta.ElementType}");
        }
        using var results = session.Run(inputs);
        var outputs = new Dictionary<string, Array[]>();
        foreach (var result in results)
        {
            if (result.Value is not Tensor<float> and not Tensor<uint> and not Tensor<string> and not Tensor<long>)
                continue;
            outputs[result.Name] = result.Value switch
            {
                Tensor<float> t => Rows(t),
                Tensor<uint> t => Rows(t),
                Tensor<long> t => Rows(t),
                Tensor<string> t => Rows(t),
                _ => throw new InvalidOperationException(),
            };
        }
        return outputs;
    }

    private static Array[] Rows<T>(Tensor<T> tensor)
    {
        var values = tensor.ToArray();
        int rows = tensor.Dimensions[0];
        int width = rows == 0 ? 0 : values.Length / rows;
        return Enumerable.Range(0, rows).Select(r => (Array)values.AsSpan(r * width, width).ToArray()).ToArray();
    }

    public static float[][] Floats(Array[] rows) => rows.Cast<float[]>().ToArray();
}
