using Microsoft.ML.Data;
using Microsoft.ML.Stn.Tests.MLNet;
using Microsoft.ML.Transforms.Image;
using Stn.Datasets;

namespace Microsoft.ML.Stn.Tests.Persistence;

/// <summary>The pipeline shape Model Builder generates for image classification, fed from PNG files on disk.</summary>
[TestClass]
public sealed class ImageFolderPipelineTests
{
    private const int Side = 32;
    private const int Classes = 4;
    private const int PerClass = 10;

    public sealed class ImageRow
    {
        public string ImagePath { get; set; } = "";
        public string Label { get; set; } = "";
    }

    /// <summary>Glyph PNGs in one sub-folder per label, listed the way an image-folder loader would list them.</summary>
    private static List<ImageRow> WriteImages(string root)
    {
        var images = GlyphData.Images(Classes * PerClass * Glyphs.ClassCount / Classes, seed: 21);
        var rows = new List<ImageRow>();
        for (int i = 0; i < images.Count; i++)
        {
            int label = images.Labels[i];
            if (label >= Classes) continue;
            var folder = Path.Combine(root, Glyphs.Name(label));
            Directory.CreateDirectory(folder);
            var path = Path.Combine(folder, $"{i:D4}.png");
            Png.WriteGrey(path, images.Image(i), Side, Side);
            rows.Add(new ImageRow { ImagePath = path, Label = Glyphs.Name(label) });
        }
        Assert.HasCount(Classes * PerClass, rows);
        return rows;
    }

    private static StnClassifyOptions Options(string features) => new()
    {
        FeatureColumnName = features,
        ImageHeight = Side,
        ImageWidth = Side,
        Channels = 1,
        Epochs = 1,
        Seed = 5,
        ScoringBatchSize = 16,
    };

    [TestMethod]
    public void PixelPipelineFromImageFilesRoundTrips()
    {
        using var folder = new PersistenceFiles.TempFolder();
        var rows = WriteImages(folder.File("images"));
        var ml = new MLContext(seed: 3);
        var data = ml.Data.LoadFromEnumerable(rows);
        var pipeline = ml.Transforms.LoadImages("Image", imageFolder: null, inputColumnName: nameof(ImageRow.ImagePath))
            .Append(ml.Transforms.ResizeImages("Image", Side, Side, "Image"))
            .Append(ml.Transforms.ExtractPixels("Features", "Image", colorsToExtract: ImagePixelExtractingEstimator.ColorBits.Red))
            .Append(ml.Transforms.Conversion.MapValueToKey("Label"))
            .Append(ml.Transforms.StnClassify(Options("Features")))
            .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabelValue", "PredictedLabel"));
        var model = pipeline.Fit(data);
        var expected = model.Transform(data);

        var path = folder.File("model.zip");
        ml.Model.Save(model, data.Schema, path);
        var fresh = new MLContext();
        var loaded = fresh.Model.Load(path, out var inputSchema);
        CollectionAssert.AreEqual(new[] { nameof(ImageRow.ImagePath), nameof(ImageRow.Label) }, inputSchema.Select(c => c.Name).ToArray());
        var actual = loaded.Transform(fresh.Data.LoadFromEnumerable(rows));

        TrainedModel.AssertSame(TrainedModel.Vectors(expected, "Score"), TrainedModel.Vectors(actual, "Score"), 1e-6, "Score");
        TrainedModel.AssertSame(TrainedModel.Vectors(expected, "Theta"), TrainedModel.Vectors(actual, "Theta"), 1e-6, "Theta");
        CollectionAssert.AreEqual(
            expected.GetColumn<string>("PredictedLabelValue").ToArray(),
            actual.GetColumn<string>("PredictedLabelValue").ToArray(), "PredictedLabelValue");
        CollectionAssert.IsSubsetOf(actual.GetColumn<string>("PredictedLabelValue").Distinct().ToList(),
            Enumerable.Range(0, Classes).Select(Glyphs.Name).ToList(), "predictions are the folder names");

        // The same trained transformer reading the decoded MLImage instead of ExtractPixels(Red): a grey PNG has
        // R = G = B, so the one-channel conversion (mean of R, G, B) must see exactly the red plane.
        var stn = ((TransformerChain<ITransformer>)loaded).OfType<StnClassifyTransformer>().Single();
        var asImages = fresh.Transforms.LoadImages("Features", imageFolder: null, inputColumnName: nameof(ImageRow.ImagePath))
            .Fit(fresh.Data.LoadFromEnumerable(rows)).Transform(fresh.Data.LoadFromEnumerable(rows));
        Assert.IsInstanceOfType<ImageDataViewType>(asImages.Schema["Features"].Type);
        TrainedModel.AssertSame(TrainedModel.Vectors(expected, "Score"), TrainedModel.Vectors(stn.Transform(asImages), "Score"), 1e-4,
            "Score from MLImage vs ExtractPixels(Red)");
    }

    [TestMethod]
    public void ImageColumnPipelineRoundTrips()
    {
        using var folder = new PersistenceFiles.TempFolder();
        var rows = WriteImages(folder.File("images"));
        var ml = new MLContext(seed: 3);
        var data = ml.Data.LoadFromEnumerable(rows);
        var pipeline = ml.Transforms.LoadImages("Image", imageFolder: null, inputColumnName: nameof(ImageRow.ImagePath))
            .Append(ml.Transforms.Conversion.MapValueToKey("Label"))
            .Append(ml.Transforms.StnClassify(Options("Image")))
            .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabelValue", "PredictedLabel"));
        var model = pipeline.Fit(data);
        var expected = model.Transform(data);
        var expectedScores = TrainedModel.Vectors(expected, "Score");
        Assert.HasCount(Classes * PerClass, expectedScores);
        Assert.IsTrue(expectedScores.All(s => s.Length == Classes && Math.Abs(s.Sum() - 1) < 1e-4), "probabilities over the classes");

        using var stream = new MemoryStream();
        ml.Model.Save(model, data.Schema, stream);
        stream.Position = 0;
        var fresh = new MLContext();
        var loaded = fresh.Model.Load(stream, out _);
        var actual = loaded.Transform(fresh.Data.LoadFromEnumerable(rows));
        TrainedModel.AssertSame(expectedScores, TrainedModel.Vectors(actual, "Score"), 1e-6, "Score");
        TrainedModel.AssertSame(TrainedModel.Vectors(expected, "Theta"), TrainedModel.Vectors(actual, "Theta"), 1e-6, "Theta");
        CollectionAssert.AreEqual(
            expected.GetColumn<string>("PredictedLabelValue").ToArray(),
            actual.GetColumn<string>("PredictedLabelValue").ToArray(), "PredictedLabelValue");
    }
}
