using Microsoft.ML.Stn.Network;
using static TorchSharp.torch;

namespace Microsoft.ML.Stn.MLNet;

/// <summary>
/// Runs the trained network on a batch of planar images in eval mode without gradients and copies the results into
/// caller-owned arrays. Calls are serialised: one forward pass already uses every intra-op thread, and it keeps the
/// module's use single-threaded.
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

    /// <summary>Scores the first <c>count</c> images of <c>pixels</c>; <c>rectified</c> is null when nobody asked for
    /// the rectified images.</summary>
    public void Score(float[] pixels, int count, float[] probabilities, float[] warp, float[]? rectified)
    {
        var a = Architecture;
        lock (_lock)
        {
            using var scope = NewDisposeScope();
            using var _ = no_grad();
            var input = tensor(pixels.AsMemory(0, count * a.PixelCount), new long[] { count, a.Channels, a.Height, a.Width });
            var (logits, theta, image) = _network.forward(input);
            nn.functional.softmax(logits, 1).contiguous().data<float>().CopyTo(probabilities, 0, 0);
            theta.contiguous().data<float>().CopyTo(warp, 0, 0);
            if (rectified is not null)
                image.contiguous().data<float>().CopyTo(rectified, 0, 0);
        }
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
