using static TorchSharp.torch;
namespace Microsoft.ML.Stn.Tests;

[TestClass]
public sealed class SmokeTests
{
    [TestMethod]
    public void TorchLoads()
    {
        using var t = ones(2, 2);
        Assert.AreEqual(4.0, t.sum().item<float>(), 1e-6);
    }
}
