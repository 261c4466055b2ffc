using static TorchSharp.torch;

namespace Microsoft.ML.Stn.Tests.Network;

/// <summary>The congealing loss of <see cref="StnClassifyOptions.AlignmentWeight"/>.</summary>
[TestClass]
public sealed class AlignmentLossTests
{
    [TestMethod]
    public void ImagesAlikeWithinTheirClassCostNothing()
    {
        using var scope = NewDisposeScope();
        manual_seed(3);
        var a = rand(1, 1, 6, 6);
        var b = rand(1, 1, 6, 6);
        // Brightness and contrast do not matter to a correlation.
        var images = cat([a, a * 2 + 1, b, b * 0.5], 0);
        var loss = AlignmentLoss.Compute(images, tensor(new long[] { 0, 0, 1, 1 }), 2).item<float>();
        Assert.AreEqual(0.0, loss, 1e-5);
    }

    [TestMethod]
    public void ImagesUnlikeTheirClassCostMoreAndBlankImagesGainNothing()
    {
        using var scope = NewDisposeScope();
        manual_seed(4);
        var a = rand(1, 1, 6, 6);
        var labels = tensor(new long[] { 0, 0 });
        Assert.AreEqual(2.0, AlignmentLoss.Compute(cat([a, -a], 0), labels, 1).item<float>(), 1e-5, "opposite images");
        Assert.AreEqual(1.0, AlignmentLoss.Compute(zeros(2, 1, 6, 6), labels, 1).item<float>(), 1e-5, "blank images: no correlation");
        Assert.AreEqual(1.0, AlignmentLoss.Compute(a, tensor(new long[] { 0 }), 1).item<float>(), 1e-5, "alone in its class");
    }

    [TestMethod]
    public void OnlyBoxesReachingBeyondTheInputArePenalised()
    {
        using var scope = NewDisposeScope();
        Assert.AreEqual(0.0, AlignmentLoss.BeyondInput(tensor(new float[] { 0, 0, 40, 20, 5, 5, 10, 10 }, [1, 8]), 20, 40).item<float>(),
            "two boxes inside a 20×40 input");
        // 20 px left of a 40-wide input and 10 px below a 20-high one: 0.5 + 0.5, over two boxes (one inside).
        var beyond = tensor(new float[] { -20, 0, 40, 30, 5, 5, 10, 10 }, [2, 4]);
        Assert.AreEqual(0.5, AlignmentLoss.BeyondInput(beyond, 20, 40).item<float>(), 1e-6);
    }

    [TestMethod]
    public void GradientPullsAnImageTowardsItsClass()
    {
        using var scope = NewDisposeScope();
        manual_seed(5);
        var a = rand(1, 1, 6, 6);
        var noisy = (a + rand(1, 1, 6, 6)).requires_grad_();
        var loss = AlignmentLoss.Compute(cat([a, noisy], 0), tensor(new long[] { 0, 0 }), 1);
        loss.backward();
        using (no_grad())
        {
            var stepped = noisy - noisy.grad! * 0.1;
            var after = AlignmentLoss.Compute(cat([a, stepped], 0), tensor(new long[] { 0, 0 }), 1).item<float>();
            Assert.IsLessThan(loss.item<float>(), after, "a step down the gradient brings the image closer to its class");
        }
    }
}
