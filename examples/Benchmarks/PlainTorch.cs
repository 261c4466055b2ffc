using TorchSharp;
using static TorchSharp.torch;

namespace Benchmarks;

/// <summary>What a TorchSharp user would write without ML.NET: a training loop and batched scoring over arrays.</summary>
internal static class PlainTorch
{
    /// <summary>
    /// Trains like StnClassify does: inputs scaled to unit root mean square, Adam at one constant rate, a fresh shuffle
    /// per epoch, cross-entropy; it keeps no running loss or accuracy (StnClassify sums them on the device each batch
    /// for its epoch report, so that work counts against ML.NET's side).
    /// </summary>
    public static PlainStn Train(float[] pixels, int[] labels, int side, int classCount, int epochs, int batchSize, float learningRate, int seed)
    {
        torch.manual_seed(seed);
        var rng = new Random(seed);
        int count = labels.Length;
        using var images = tensor(pixels, new long[] { count, 1, side, side });
        using var targets = tensor(labels.Select(l => (long)l).ToArray());
        float scale;
        using (var rms = images.square().mean().sqrt())
            scale = 1f / rms.item<float>();

        var network = new PlainStn(1, side, classCount, scale);
        using var optimizer = optim.Adam(network.parameters(), learningRate);
        var order = new long[count];
        for (int epoch = 0; epoch < epochs; epoch++)
        {
            for (int i = 0; i < count; i++) order[i] = i;
            rng.Shuffle(order);
            using var permutation = tensor(order);
            network.train();
            for (int start = 0; start < count; start += batchSize)
            {
                using var scope = NewDisposeScope();
                int n = Math.Min(batchSize, count - start);
                var index = permutation.narrow(0, start, n);
                var batchTargets = targets.index_select(0, index);
                optimizer.zero_grad();
                var logits = network.forward(images.index_select(0, index)).Logits;
                var loss = nn.functional.cross_entropy(logits, batchTargets);
                loss.backward();
                optimizer.step();
            }
        }

        network.eval();
        return network;
    }

    /// <summary>Class probabilities and θ of every row, <paramref name="batchSize"/> rows per forward pass.</summary>
    public static void Score(PlainStn network, float[] pixels, int count, int side, int batchSize, float[] probabilities, float[] thetaValues, int classCount)
    {
        int length = side * side;
        using var _ = no_grad();
        for (int start = 0; start < count; start += batchSize)
        {
            using var scope = NewDisposeScope();
            int n = Math.Min(batchSize, count - start);
            var input = tensor(pixels.AsMemory(start * length, n * length), new long[] { n, 1, side, side });
            var (logits, theta) = network.forward(input);
            nn.functional.softmax(logits, 1).contiguous().data<float>().CopyTo(probabilities, start * classCount, 0);
            theta.contiguous().data<float>().CopyTo(thetaValues, start * 6, 0);
        }
    }
}
