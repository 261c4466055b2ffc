using Microsoft.ML.Stn.Network;
using static TorchSharp.torch;

namespace Microsoft.ML.Stn.Tests.Network;

[TestClass]
public sealed class LocalisationNetTests
{
    [TestMethod]
    [DataRow(1, 28, 28, TransformKind.Affine)]
    [DataRow(3, 128, 128, TransformKind.Projective)]
    [DataRow(3, 128, 128, TransformKind.Similarity)]
    [DataRow(1, 18, 18, TransformKind.Attention)]
    [DataRow(2, 24, 96, TransformKind.Translation)]
    [DataRow(3, 20, 20, TransformKind.ThinPlateSpline)]
    public void RegressesOneRowOfParametersPerImage(int channels, int height, int width, TransformKind kind)
    {
        using var scope = NewDisposeScope();
        manual_seed(31);
        using var net = new LocalisationNet(channels, height, width, kind);
        var parameters = net.forward(rand(2, channels, height, width));
        CollectionAssert.AreEqual(new long[] { 2, TransformParameterisation.ParameterCount(kind) }, parameters.shape);
        Assert.IsLessThanOrEqualTo(10L * LocalisationNet.MaximumPooledSize * LocalisationNet.MaximumPooledSize, net.FlattenedSize);

        // Zero weights in the head mean every image gets exactly the identity parameters.
        var identity = tensor(TransformParameterisation.IdentityParameters(kind)).expand(2, -1);
        Assert.AreEqual(0.0, (parameters - identity).abs().max().item<float>());
    }

    [TestMethod]
    public void SeveralTransformersGetOneBlockEachStartingWhereTold()
    {
        using var scope = NewDisposeScope();
        var start = new float[] { 0.5f, 0f, -0.5f, 0f, 1f, 0f, 0.5f, 0f, 0.5f, 0f, 1f, 0f };
        using var net = new LocalisationNet(1, 24, 48, TransformKind.Affine, transformerCount: 2, initialParameters: start);
        var parameters = net.forward(rand(3, 1, 24, 48));
        CollectionAssert.AreEqual(new long[] { 3, 12 }, parameters.shape);
        Assert.AreEqual(0.0, (parameters - tensor(start).expand(3, -1)).abs().max().item<float>());
        Assert.Throws<ArgumentException>(() => new LocalisationNet(1, 24, 48, transformerCount: 0));
        Assert.Throws<ArgumentException>(() => new LocalisationNet(1, 24, 48, transformerCount: 2, initialParameters: new float[6]));
    }

    [TestMethod]
    public void TooSmallInputIsRejected()
    {
        int tooSmall = LocalisationNet.MinimumInputSize - 1;
        var error = Assert.Throws<ArgumentException>(() => new LocalisationNet(1, tooSmall, 28));
        Assert.Contains($"H >= {LocalisationNet.MinimumInputSize}", error.Message);
        Assert.Contains($"[N, 1, {tooSmall}, 28]", error.Message);

        Assert.Throws<ArgumentException>(() => new SpatialTransformer(3, 28, tooSmall, 28, 28));
        Assert.Throws<ArgumentException>(() => LocalisationNet.Validate(0, 28, 28));
    }
}
