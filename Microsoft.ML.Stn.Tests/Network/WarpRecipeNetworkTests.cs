using Microsoft.ML.Stn.Network;
using static Microsoft.ML.Stn.Tests.Network.NetworkTestHelpers;
using static TorchSharp.torch;

namespace Microsoft.ML.Stn.Tests.Network;

/// <summary>The warp-recipe options of the network: iterative refinement, localisation width, batch normalisation.</summary>
[TestClass]
public sealed class WarpRecipeNetworkTests
{
    /// <summary>A transformer whose localisation net answers <paramref name="parameters"/> for every view (zero head weights).</summary>
    private static SpatialTransformer Constant(float[] parameters, int steps, TransformKind kind = TransformKind.Affine, int transformers = 1) =>
        new(1, 28, 28, 20, 24, kind, transformerCount: transformers,
            initialParameters: [.. Enumerable.Repeat(parameters, transformers).SelectMany(p => p)], refinementSteps: steps);

    /// <summary>θ as a 3×3 matrix, the last row (0, 0, 1) added to an affine 2×3.</summary>
    private static Tensor Square(float[] affine) => cat([tensor(affine).reshape(2, 3), tensor(new float[] { 0, 0, 1 }).reshape(1, 3)], 0);

    [TestMethod]
    public void RefinementComposesEachCorrectionIntoTheta()
    {
        using var scope = NewDisposeScope();
        manual_seed(5);
        float[] step = [0.8f, -0.3f, 0.1f, 0.25f, 0.9f, -0.2f];
        var input = rand(2, 1, 28, 28);
        using var once = Constant(step, 1);
        using var twice = Constant(step, 2);
        using var thrice = Constant(step, 3);
        var m = Square(step);

        AssertClose(m.narrow(0, 0, 2).expand(2, 2, 3), once.forward(input).Theta, 1e-6, "one step");
        var (theta2, rectified2) = twice.forward(input);
        AssertClose(m.matmul(m).narrow(0, 0, 2).expand(2, 2, 3), theta2, 1e-5, "two steps: θ∘Δ with Δ = θ");
        AssertClose(m.matmul(m).matmul(m).narrow(0, 0, 2).expand(2, 2, 3), thrice.forward(input).Theta, 1e-5, "three steps");
        // The input is resampled once, from the original, with the composed θ, at the output size.
        AssertClose(SpatialTransformer.Warp(input, theta2, 20, 24), rectified2, 0, "rectified image of two steps");
        Assert.AreEqual(2, twice.RefinementSteps);
    }

    [TestMethod]
    public void RefinementComposesProjectiveThetaAndEachOfSeveralTransformers()
    {
        using var scope = NewDisposeScope();
        float[] p = [1.1f, 0.1f, 0.05f, -0.1f, 0.9f, 0f, 0.05f, -0.02f];
        using var projective = Constant(p, 2, TransformKind.Projective);
        var m = tensor(p.Append(1f).ToArray()).reshape(3, 3);
        AssertClose(m.matmul(m).unsqueeze(0), projective.forward(ones(1, 1, 28, 28)).Theta, 1e-5, "projective θ∘θ");

        float[] a = [0.9f, 0.1f, 0.2f, -0.1f, 0.7f, 0f];
        using var pair = Constant(a, 2, transformers: 2);
        var theta = pair.forward(ones(3, 1, 28, 28)).Theta;
        CollectionAssert.AreEqual(new long[] { 3, 2, 2, 3 }, theta.shape);
        var expected = Square(a).matmul(Square(a)).narrow(0, 0, 2);
        AssertClose(expected.expand(3, 2, 2, 3), theta, 1e-5, "each transformer refines its own θ");
    }

    [TestMethod]
    public void FreshRefiningWideNormalisedTransformerStartsAtTheIdentity()
    {
        using var scope = NewDisposeScope();
        manual_seed(6);
        using var stn = new SpatialTransformer(1, 42, 42, 42, 42, refinementSteps: 2, localisationWidth: 2, localisationBatchNorm: true);
        stn.eval();
        var input = rand(3, 1, 42, 42);
        var (theta, rectified) = stn.forward(input);
        AssertClose(eye(2, 3).expand(3, 2, 3), theta, 0, "θ");
        AssertClose(input, rectified, 1e-5, "rectified image");
    }

    [TestMethod]
    public void WidthFactorWidensEveryLocalisationLayerAndBatchNormFollowsEachConvolution()
    {
        using var narrow = new LocalisationNet(1, 42, 42);
        using var wide = new LocalisationNet(1, 42, 42, widthFactor: 2, batchNorm: true);
        Assert.AreEqual(2 * narrow.FlattenedSize, wide.FlattenedSize);
        var shapes = wide.named_parameters().ToDictionary(p => p.name, p => p.parameter.shape);
        CollectionAssert.AreEqual(new long[] { 16, 1, 7, 7 }, shapes["features.conv1.weight"]);
        CollectionAssert.AreEqual(new long[] { 20, 16, 5, 5 }, shapes["features.conv2.weight"]);
        CollectionAssert.AreEqual(new long[] { 64, wide.FlattenedSize }, shapes["hidden.weight"]);
        var norms = wide.named_modules().Select(m => m.name).Where(n => n.Contains("norm", StringComparison.Ordinal)).ToList();
        var convolutions = wide.named_modules().Select(m => m.name).Where(n => n.Contains("conv", StringComparison.Ordinal)).ToList();
        Assert.HasCount(convolutions.Count, norms, string.Join(", ", norms));
        Assert.IsFalse(narrow.named_modules().Any(m => m.name.Contains("norm", StringComparison.Ordinal)), "no batch norm unless asked");
    }

    [TestMethod]
    public void ClassifierBatchNormNormalisesEachConvolution()
    {
        using var scope = NewDisposeScope();
        using var plain = new ClassifierNet(1, 28, 28, 10);
        using var normed = new ClassifierNet(1, 28, 28, 10, batchNorm: true);
        var names = normed.named_modules().Select(m => m.name).ToList();
        CollectionAssert.IsSubsetOf(new[] { "_features.norm1", "_features.norm2" }, names, string.Join(", ", names));
        Assert.IsFalse(plain.named_modules().Any(m => m.name.Contains("norm", StringComparison.Ordinal)));
        CollectionAssert.AreEqual(new long[] { 4, 10 }, normed.forward(rand(4, 1, 28, 28)).shape);
    }

    [TestMethod]
    public void OutOfRangeRecipeIsRefused()
    {
        Assert.Throws<ArgumentException>(() => new LocalisationNet(1, 42, 42, widthFactor: 0));
        Assert.Throws<ArgumentException>(() => new SpatialTransformer(1, 28, 28, 28, 28, refinementSteps: 0));
        var e = Assert.Throws<ArgumentException>(() => new SpatialTransformer(1, 28, 28, 28, 28, TransformKind.ThinPlateSpline, refinementSteps: 2));
        StringAssert.Contains(e.Message, "thin-plate spline");
    }
}
