using Microsoft.ML.Stn.Network;
using static TorchSharp.torch;

namespace Microsoft.ML.Stn.MLNet;

/// <summary>
/// Runs the trained network on a batch of planar images in eval mode without gradients and copies the results into
/// the batch's arrays, once per batch. Calls are serialised: one forward pass already uses every intra-op thread, and
/// it keeps the module's use single-threaded.
/// </summary>
internal sealed class BatchScorer
{
    private readonly StnClassifierNetwork _network;
    private readonly object _lock = new();

    public BatchScorer(StnClassifierNetwork network)
    {
        _network = network;
        _network.eval();
    }

    public StnArchitecture Architecture => _network.Architecture;

    public StnClassifierNetwork Network => _network;

    /// <summary>Scores the first <paramref name="count"/> images of the batch's pixels.</summary>
    public void Score(ScoredBatch batch, int count)
    {
        var a = Architecture;
        lock (_lock)
        {
            using var scope = NewDisposeScope();
            using var _ = no_grad();
            var input = tensor(batch.Pixels.AsMemory(0, count * a.PixelCount), [count, a.Channels, a.Height, a.Width]);
            var (logits, theta, rectifiedImage) = _network.forward(input);
            CopyTo(nn.functional.softmax(logits, 1), batch.Probabilities);
            CopyTo(theta, batch.Theta);
            if (batch.BoundingBox is { } box)
                CopyTo(_network.BoundingBoxes(theta), box);
            if (batch.RectifiedImage is { } image)
                CopyTo(rectifiedImage, image);
        }
    }

    private static void CopyTo(Tensor values, float[] destination) =>
        values.contiguous().data<float>().CopyTo(destination, 0, 0);

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
