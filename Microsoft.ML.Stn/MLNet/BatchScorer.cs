using Microsoft.ML.Stn.Network;
using static TorchSharp.torch;

namespace Microsoft.ML.Stn.MLNet;

/// <summary>
/// Runs the trained network on a batch of planar images in eval mode without gradients and copies the results into
/// the batch's arrays, once per batch. Calls are serialised: one forward pass already uses every intra-op thread, and
/// it keeps the module's use single-threaded. The scorer owns the network: disposing it frees the weights' native
/// (or device) memory, after which the network can no longer be used.
/// </summary>
internal sealed class BatchScorer : IDisposable
{
    private readonly StnClassifierNetwork _network;
    private readonly object _lock = new();
    private bool _disposed;

    public BatchScorer(StnClassifierNetwork network)
    {
        _network = network;
        _network.eval();
        Architecture = network.Architecture;
    }

    public StnArchitecture Architecture { get; }

    /// <summary>The network, for saving and export.</summary>
    /// <exception cref="ObjectDisposedException">The scorer was disposed.</exception>
    public StnClassifierNetwork Network
    {
        get
        {
            ThrowIfDisposed();
            return _network;
        }
    }

    /// <summary>
    /// Scores the first <paramref name="count"/> images of the batch's pixels on the network's device. The outputs are
    /// joined into one tensor there and copied back once, since each copy from a GPU waits for it.
    /// </summary>
    public void Score(ScoredBatch batch, int count)
    {
        var a = Architecture;
        lock (_lock)
        {
            ThrowIfDisposed();
            using var scope = NewDisposeScope();
            using var _ = no_grad();
            var input = tensor(batch.Pixels.AsMemory(0, count * a.PixelCount), [count, a.Channels, a.Height, a.Width])
                .to(_network.Device);
            var (logits, theta, rectifiedImage) = _network.forward(input);
            var outputs = new List<(Tensor Values, float[] Destination)>(4)
            {
                (nn.functional.softmax(logits, 1), batch.Probabilities),
                (theta, batch.Theta),
            };
            if (batch.BoundingBox is { } box)
                outputs.Add((_network.BoundingBoxes(theta), box));
            if (batch.RectifiedImage is { } image)
                outputs.Add((rectifiedImage, image));
            var values = cat(outputs.Select(o => o.Values.flatten()).ToList(), 0).cpu().data<float>();
            long offset = 0;
            foreach (var (output, destination) in outputs)
            {
                int length = (int)output.numel();
                values.CopyTo(destination.AsSpan(0, length), 0, offset);
                offset += length;
            }
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed) return;
            _disposed = true;
            _network.Dispose();
        }
    }

    private void ThrowIfDisposed()
    {
        if (_disposed)
            throw new ObjectDisposedException(nameof(StnClassifyTransformer), "The StnClassify model was disposed: its network's memory is released.");
    }

    /// <summary>The 1-based key of the most probable class, or 0 (missing) when the scores are not finite.</summary>
    public static uint PredictedKey(ReadOnlySpan<float> probabilities)
    {
        int best = 0;
        for (int i = 0; i < probabilities.Length; i++)
        {
            if (!float.IsFinite(probabilities[i])) return 0;
            if (probabilities[i] > probabilities[best]) best = i;
        }
        return (uint)best + 1;
    }
}
