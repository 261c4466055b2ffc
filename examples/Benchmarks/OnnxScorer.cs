using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.OnnxRuntime;

namespace Benchmarks;

/// <summary>A model exported with <c>mlContext.Model.ConvertToOnnx</c>, scored by a plain ONNX Runtime session.</summary>
internal sealed class OnnxScorer : IDisposable
{
    private static readonly string[] s_inputs = ["Features"];
    private static readonly string[] s_outputs = ["Score.output", "Theta.output", "PredictedLabel.output"];
    private readonly InferenceSession _session;
    private readonly RunOptions _run = new();
    private readonly int _length;
    private readonly int _classes;

    public OnnxScorer(byte[] model, int length, int classes, int threads)
    {
        using var options = new SessionOptions
        {
            IntraOpNumThreads = threads,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };
        // ONNX Runtime's threads spin between runs by default; on 2 cores that would starve the TorchSharp side of the
        // interleaved comparison.
        options.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
        _session = new InferenceSession(model, options);
        _length = length;
        _classes = classes;
    }

    /// <summary>Exports <paramref name="model"/> for inputs shaped like <paramref name="data"/>; returns the bytes and the seconds it took.</summary>
    public static (byte[] Model, double Seconds) Export(MLContext ml, ITransformer model, IDataView data)
    {
        var clock = Stopwatch.StartNew();
        using var stream = new MemoryStream();
        ml.Model.ConvertToOnnx(model, data, stream);
        return (stream.ToArray(), clock.Elapsed.TotalSeconds);
    }

    /// <summary>Scores rows <paramref name="start"/>…+<paramref name="count"/> of <paramref name="pixels"/> in one run; copies their probabilities.</summary>
    public void Score(float[] pixels, int start, int count, float[] probabilities)
    {
        using var input = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance,
            pixels.AsMemory(start * _length, count * _length), new long[] { count, _length });
        using var results = _session.Run(_run, s_inputs, new[] { input }, s_outputs);
        results[0].GetTensorDataAsSpan<float>().CopyTo(probabilities.AsSpan(start * _classes, count * _classes));
    }

    /// <summary>Scores every row, <paramref name="batch"/> rows per run.</summary>
    public void ScoreAll(float[] pixels, int rows, int batch, float[] probabilities)
    {
        for (int start = 0; start < rows; start += batch)
            Score(pixels, start, Math.Min(batch, rows - start), probabilities);
    }

    public void Dispose()
    {
        _run.Dispose();
        _session.Dispose();
    }
}
