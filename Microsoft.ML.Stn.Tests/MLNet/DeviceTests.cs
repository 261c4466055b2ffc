using Microsoft.ML.Runtime;

namespace Microsoft.ML.Stn.Tests.MLNet;

/// <summary>
/// The device switch (<c>MLContext.GpuDeviceId</c>, <c>FallbackToCpu</c>) on a machine where TorchSharp has no CUDA, as
/// with the TorchSharp-cpu package these tests reference: a requested GPU fails clearly or falls back to the CPU, and the
/// fallback takes the same code path as a GPU run with only the device differing.
/// </summary>
[TestClass]
public sealed class DeviceTests
{
    private static readonly Lazy<LabelledImagesPair> s_data = new(() => new(GlyphData.Images(160, seed: 31), GlyphData.Images(40, seed: 32)));

    private static StnClassifyOptions Quick() => new() { ImageHeight = 32, ImageWidth = 32, Epochs = 1, BatchSize = 32 };

    private static ITransformer Fit(MLContext ml, StnClassifyOptions options) =>
        ml.Transforms.Conversion.MapValueToKey("Label").Append(ml.Transforms.StnClassify(options))
            .Fit(GlyphData.View(ml, s_data.Value.Train));

    private static float[][] Scores(MLContext ml, ITransformer model) =>
        TrainedModel.Vectors(model.Transform(GlyphData.View(ml, s_data.Value.Test)), "Score");

    private static List<LoggingEventArgs> Log(MLContext ml)
    {
        var messages = new List<LoggingEventArgs>();
        ml.Log += (_, e) => { lock (messages) messages.Add(e); };
        return messages;
    }

    [TestMethod]
    public void RequestedGpuWithoutCudaAndNoFallbackFailsNamingBothSettingsAndThePackage()
    {
        var ml = new MLContext(1) { GpuDeviceId = 0, FallbackToCpu = false };
        var e = Assert.Throws<InvalidOperationException>(() => Fit(ml, Quick()));
        foreach (var expected in new[] { "MLContext.GpuDeviceId is 0", "MLContext.FallbackToCpu is false", "TorchSharp-cuda-linux", "TorchSharp-cpu" })
            StringAssert.Contains(e.Message, expected);
    }

    [TestMethod]
    public void OptionsOverrideTheContextAndAreNamedInTheError()
    {
        var ml = new MLContext(1) { FallbackToCpu = true };
        var options = Quick();
        options.GpuDeviceId = 1;
        options.FallbackToCpu = false;
        var e = Assert.Throws<InvalidOperationException>(() => Fit(ml, options));
        StringAssert.Contains(e.Message, "StnClassifyOptions.GpuDeviceId is 1");
        StringAssert.Contains(e.Message, "StnClassifyOptions.FallbackToCpu is false");
    }

    [TestMethod]
    public void NegativeGpuDeviceIdIsRefused()
    {
        var options = Quick();
        options.GpuDeviceId = -1;
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Fit(new MLContext(1), options));
        StringAssert.Contains(e.Message, "StnClassifyOptions.GpuDeviceId");
    }

    [TestMethod]
    public void FallbackTrainsOnTheCpuWithAWarningAndTheSamePredictionsAsAPlainCpuRun()
    {
        var plain = new MLContext(3);
        var plainLog = Log(plain);
        var expected = Scores(plain, Fit(plain, Quick()));
        Assert.IsTrue(plainLog.Any(m => m.Message.Contains("StnClassify training runs on the CPU")), "the device is logged");

        var fallback = new MLContext(3) { GpuDeviceId = 0, FallbackToCpu = true };
        var log = Log(fallback);
        var actual = Scores(fallback, Fit(fallback, Quick()));
        var warnings = log.Where(m => m.Kind == ChannelMessageKind.Warning && m.Message.Contains("GpuDeviceId is 0")).ToList();
        Assert.HasCount(1, warnings, string.Join("\n", log.Select(m => m.Message).TakeLast(20)));
        StringAssert.Contains(warnings[0].Message, "runs on the CPU");
        TrainedModel.AssertSame(expected, actual, 0, "fallback against plain CPU");
    }

    [TestMethod]
    public void ModelTrainedThroughTheDevicePathRoundTripsAndLoadsOnTheContextsDevice()
    {
        var ml = new MLContext(4) { GpuDeviceId = 0, FallbackToCpu = true };
        var model = Fit(ml, Quick());
        var expected = Scores(ml, model);
        using var stream = new MemoryStream();
        ml.Model.Save(model, GlyphData.View(ml, s_data.Value.Train).Schema, stream);

        ITransformer Load(MLContext context)
        {
            stream.Position = 0;
            return context.Model.Load(stream, out _);
        }

        var plain = new MLContext();
        TrainedModel.AssertSame(expected, Scores(plain, Load(plain)), 0, "loaded on the CPU");

        var fallback = new MLContext { GpuDeviceId = 0, FallbackToCpu = true };
        var log = Log(fallback);
        TrainedModel.AssertSame(expected, Scores(fallback, Load(fallback)), 0, "loaded with a GPU requested and fallback");
        Assert.IsTrue(log.Any(m => m.Kind == ChannelMessageKind.Warning && m.Message.Contains("scoring runs on the CPU")));

        var strict = new MLContext { GpuDeviceId = 0, FallbackToCpu = false };
        var e = Assert.Throws<Exception>(() => Load(strict));
        StringAssert.Contains(e.GetBaseException().Message, "MLContext.FallbackToCpu is false");
    }

    private sealed record LabelledImagesPair(global::Stn.Datasets.LabelledImages Train, global::Stn.Datasets.LabelledImages Test);
}
