using Microsoft.ML.Data;
using Microsoft.ML.Stn.Tests.MLNet;
using Microsoft.ML.Stn.Tests.Persistence;
using Stn.Datasets;

namespace Microsoft.ML.Stn.Tests.Onnx;

/// <summary>
/// <c>mlContext.Model.ConvertToOnnx</c> of the whole pipeline (MapValueToKey → StnClassify → MapKeyToValue), scored
/// by ONNX Runtime, against the TorchSharp transformer on held-out glyphs.
/// </summary>
[TestClass]
public sealed class OnnxExportTests
{
    private const double ScoreTolerance = 1e-4;
    private const double ThetaTolerance = 1e-4;

    /// <summary>The rectified image is in the input's 0–255 range: 1e-4 of full scale.</summary>
    private const double RectifiedTolerance = 255 * 1e-4;

    /// <summary>Boxes are in input pixels: θ's tolerance times the half side.</summary>
    private const double BoxTolerance = 1e-4 * TrainedModel.Canvas;

    private sealed record Expected(float[][] Score, float[][] Theta, float[][] Box, float[][] Rectified, uint[] Keys, string[] Labels);

    private static Expected TorchSharpResults(ITransformer model, IDataView data)
    {
        var scored = model.Transform(data);
        return new Expected(TrainedModel.Vectors(scored, "Score"), TrainedModel.Vectors(scored, "Theta"), TrainedModel.Vectors(scored, "BoundingBox"),
            TrainedModel.Vectors(scored, TrainedModel.RectifiedColumn), TrainedModel.Keys(scored, "PredictedLabel"),
            scored.GetColumn<string>("PredictedLabelValue").ToArray());
    }

    private static void AssertMatches(Expected expected, Dictionary<string, Array[]> onnx)
    {
        TrainedModel.AssertSame(expected.Score, OnnxRunner.Floats(onnx["Score.output"]), ScoreTolerance, "Score");
        TrainedModel.AssertSame(expected.Theta, OnnxRunner.Floats(onnx["Theta.output"]), ThetaTolerance, "θ");
        TrainedModel.AssertSame(expected.Box, OnnxRunner.Floats(onnx["BoundingBox.output"]), BoxTolerance, "bounding box");
        TrainedModel.AssertSame(expected.Rectified, OnnxRunner.Floats(onnx[TrainedModel.RectifiedColumn + ".output"]), RectifiedTolerance, "rectified image");
        CollectionAssert.AreEqual(expected.Keys, onnx["PredictedLabel.output"].Select(r => ((uint[])r).Single()).ToArray(), "PredictedLabel keys");
        CollectionAssert.AreEqual(expected.Labels, onnx["PredictedLabelValue.output"].Select(r => ((string[])r).Single()).ToArray(), "predicted labels");
    }

    [TestMethod]
    public void ExportedPipelineScoresLikeTorchSharpInAnInferenceSession()
    {
        var expected = TorchSharpResults(TrainedModel.Model, TrainedModel.TestView);
        var onnx = OnnxRunner.Export(TrainedModel.Ml, TrainedModel.Model, TrainedModel.TestView);
        AssertMatches(expected, OnnxRunner.Score(onnx, TrainedModel.TestImages, Glyphs.Name));
    }

    [TestMethod]
    public void ModelLoadedFromAZipExportsTheSameGraph()
    {
        var ml = TrainedModel.Ml;
        using var stream = new MemoryStream();
        ml.Model.Save(TrainedModel.Model, TrainedModel.TestView.Schema, stream);
        stream.Position = 0;
        var loaded = ml.Model.Load(stream, out _);
        var expected = TorchSharpResults(loaded, TrainedModel.TestView);
        var onnx = OnnxRunner.Export(ml, loaded, TrainedModel.TestView);
        AssertMatches(expected, OnnxRunner.Score(onnx, TrainedModel.TestImages, Glyphs.Name));
    }

    [TestMethod]
    public void ApplyOnnxModelInAnMLNetPipelineGivesTheSameColumns()
    {
        var ml = TrainedModel.Ml;
        var expected = TorchSharpResults(TrainedModel.Model, TrainedModel.TestView);
        using var folder = new PersistenceFiles.TempFolder();
        var path = folder.File("stn.onnx");
        File.WriteAllBytes(path, OnnxRunner.Export(ml, TrainedModel.Model, TrainedModel.TestView));

        var outputs = new[] { "Score.output", "Theta.output", "BoundingBox.output", "PredictedLabel.output", "PredictedLabelValue.output" };
        var onnx = ml.Transforms.ApplyOnnxModel(outputs, new[] { "Label", "Features" }, path);
        var scored = onnx.Fit(TrainedModel.TestView).Transform(TrainedModel.TestView);

        // ApplyOnnxModel names each column after its graph output less the converter's ".output" suffix.
        TrainedModel.AssertSame(expected.Score, TrainedModel.Vectors(scored, "Score"), ScoreTolerance, "Score");
        TrainedModel.AssertSame(expected.Theta, TrainedModel.Vectors(scored, "Theta"), ThetaTolerance, "θ");
        CollectionAssert.AreEqual(expected.Keys, scored.GetColumn<uint[]>("PredictedLabel").Select(r => r.Single()).ToArray());
        CollectionAssert.AreEqual(expected.Labels, scored.GetColumn<string[]>("PredictedLabelValue").Select(r => r.Single()).ToArray());
    }

    [TestMethod]
    public void GraphTakesOnlyThePipelineInputsAndOutputsEveryColumn()
    {
        var onnx = OnnxRunner.Export(TrainedModel.Ml, TrainedModel.Model, TrainedModel.TestView);
        using var session = new OnnxRuntime.InferenceSession(onnx);
        CollectionAssert.AreEquivalent(new[] { "Label", "Features" }, session.InputMetadata.Keys.ToArray());
        foreach (var output in new[] { "Score", "PredictedLabel", "Theta", "BoundingBox", TrainedModel.RectifiedColumn, "PredictedLabelValue" })
            Assert.IsTrue(session.OutputMetadata.ContainsKey(output + ".output"), $"output {output}");
        Assert.AreEqual(typeof(uint), session.OutputMetadata["PredictedLabel.output"].ElementType);
    }

    /// <summary>The main job's export: scoring needs no label, so the graph of the chain after MapValueToKey takes only the pixels.</summary>
    [TestMethod]
    public void ScoringChainWithoutTheLabelTakesOnlyThePixels()
    {
        var ml = TrainedModel.Ml;
        var expected = TorchSharpResults(TrainedModel.Model, TrainedModel.TestView);
        var scoring = new TransformerChain<ITransformer>(((IEnumerable<ITransformer>)TrainedModel.Model).Skip(1).ToArray());
        var onnx = OnnxRunner.Export(ml, scoring, DataViews.PixelsOnly(ml, TrainedModel.TestImages.ImageLength));

        using (var session = new OnnxRuntime.InferenceSession(onnx))
            CollectionAssert.AreEqual(new[] { "Features" }, session.InputMetadata.Keys.ToArray());
        AssertMatches(expected, OnnxRunner.Score(onnx, TrainedModel.TestImages, Glyphs.Name));
    }

    [TestMethod]
    public void OpsetBelowTwelveIsRefusedNamingStnClassify()
    {
        using var stream = new MemoryStream();
        var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() =>
            TrainedModel.Ml.Model.ConvertToOnnx(TrainedModel.Model, TrainedModel.TestView, 11, stream));
        StringAssert.Contains(error.Message, "StnClassify");
        StringAssert.Contains(error.Message, "12");
    }

    private sealed class ImageInputRow
    {
        [Microsoft.ML.Transforms.Image.ImageType(TrainedModel.Canvas, TrainedModel.Canvas)]
        public MLImage Features { get; set; } = null!;
    }

    /// <summary>ONNX has no image type: ML.NET's converter itself refuses an MLImage graph input, naming the type.</summary>
    [TestMethod]
    public void ImageColumnInputIsRefused()
    {
        var stn = TrainedModel.Transformer;
        var pixels = new byte[TrainedModel.Canvas * TrainedModel.Canvas * 4];
        var images = TrainedModel.Ml.Data.LoadFromEnumerable(new[]
        {
            new ImageInputRow { Features = MLImage.CreateFromPixels(TrainedModel.Canvas, TrainedModel.Canvas, MLPixelFormat.Bgra32, pixels) },
        });
        using var stream = new MemoryStream();
        var error = Assert.ThrowsExactly<InvalidOperationException>(() => TrainedModel.Ml.Model.ConvertToOnnx(stn, images, stream));
        StringAssert.Contains(error.Message, nameof(MLImage));
    }
}
