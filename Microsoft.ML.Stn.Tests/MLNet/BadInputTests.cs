using Microsoft.ML.Data;

namespace Microsoft.ML.Stn.Tests.MLNet;

[TestClass]
public sealed class BadInputTests
{
    private sealed class TextFeatures
    {
        public string Label { get; set; } = "";
        public string Features { get; set; } = "";
    }

    private sealed class FloatLabel
    {
        public float Label { get; set; }
        [VectorType(32 * 32)]
        public float[] Features { get; set; } = new float[32 * 32];
    }

    private sealed class VectorLabel
    {
        [VectorType(2)]
        public string[] Label { get; set; } = ["a", "b"];
        [VectorType(32 * 32)]
        public float[] Features { get; set; } = new float[32 * 32];
    }

    private static StnClassifyOptions Options() => new() { ImageHeight = 32, ImageWidth = 32, Epochs = 1 };

    private static Exception Fit(MLContext ml, IDataView data, StnClassifyOptions options) =>
        Assert.Throws<Exception>(() => ml.Transforms.Conversion.MapValueToKey("Label").Append(ml.Transforms.StnClassify(options)).Fit(data));

    private static void Mentions(Exception e, params string[] parts)
    {
        foreach (var part in parts)
            Assert.Contains(part, e.Message, $"message should name '{part}': {e.Message}");
    }

    [TestMethod]
    public void MissingFeatureColumn()
    {
        var ml = new MLContext(1);
        var options = Options();
        options.FeatureColumnName = "Pixels";
        var e = Fit(ml, GlyphData.View(ml, GlyphData.Images(20, 1)), options);
        Assert.IsInstanceOfType<ArgumentOutOfRangeException>(e);
        Mentions(e, "Pixels");
    }

    [TestMethod]
    public void MissingLabelColumn()
    {
        var ml = new MLContext(1);
        var options = Options();
        options.LabelColumnName = "Class";
        var e = Assert.Throws<Exception>(() => ml.Transforms.StnClassify(options).Fit(GlyphData.View(ml, GlyphData.Images(20, 1))));
        Assert.IsInstanceOfType<ArgumentOutOfRangeException>(e);
        Mentions(e, "Class");
    }

    [TestMethod]
    public void FeatureColumnOfTheWrongType()
    {
        var ml = new MLContext(1);
        var data = ml.Data.LoadFromEnumerable(new[] { new TextFeatures { Label = "a", Features = "x" } });
        var e = Fit(ml, data, Options());
        Mentions(e, "Features", "Vector<Single, 1024>", "String");
    }

    [TestMethod]
    public void FeatureVectorOfTheWrongLength()
    {
        var ml = new MLContext(1);
        var options = Options();
        options.ImageHeight = 30;
        var e = Fit(ml, GlyphData.View(ml, GlyphData.Images(20, 1)), options);
        Mentions(e, "Features", "Vector<Single, 960>", "Vector<Single, 1024>");
    }

    [TestMethod]
    public void VariableLengthFeatureVector()
    {
        var ml = new MLContext(1);
        var rows = GlyphData.Rows(GlyphData.Images(20, 1)).ToList();
        var e = Fit(ml, ml.Data.LoadFromEnumerable(rows), Options());
        Mentions(e, "Features", "Vector<Single, 1024>", "Vector<Single>");
    }

    [TestMethod]
    public void LabelThatIsNotAKey()
    {
        var ml = new MLContext(1);
        var data = ml.Data.LoadFromEnumerable(new[] { new FloatLabel { Label = 1 }, new FloatLabel { Label = 2 } });
        var e = Assert.Throws<Exception>(() => ml.Transforms.StnClassify(Options()).Fit(data));
        Mentions(e, "Label", "Key", "Single");
    }

    /// <summary>A vector of keys is a key column too, but not one label per row: the pipeline's schema check refuses it before any training.</summary>
    [TestMethod]
    public void LabelThatIsAVectorOfKeysIsRefusedByTheSchemaCheck()
    {
        var ml = new MLContext(1);
        var data = ml.Data.LoadFromEnumerable(new[] { new VectorLabel(), new VectorLabel { Label = ["b", "c"] } });
        var pipeline = ml.Transforms.Conversion.MapValueToKey("Label").Append(ml.Transforms.StnClassify(Options()));
        // SchemaShape.Create is internal to ML.NET; pipelines call it before fitting.
        var shape = (SchemaShape)typeof(SchemaShape).GetMethod("Create", System.Reflection.BindingFlags.Static | System.Reflection.BindingFlags.NonPublic)!
            .Invoke(null, [data.Schema])!;
        var e = Assert.Throws<Exception>(() => pipeline.GetOutputSchema(shape));
        Mentions(e, "Label", "Key<UInt32>");
    }

    [TestMethod]
    public void EmptyTrainingData()
    {
        var ml = new MLContext(1);
        var data = ml.Data.SkipRows(GlyphData.Keyed(ml, GlyphData.View(ml, GlyphData.Images(20, 1))), 20);
        var e = Assert.Throws<Exception>(() => ml.Transforms.StnClassify(Options()).Fit(data));
        Mentions(e, "training data has no rows", "Label");
    }

    [TestMethod]
    public void SingleClass()
    {
        var ml = new MLContext(1);
        var images = GlyphData.Images(40, 1);
        var rows = GlyphData.Rows(images).Where(r => r.Label == GlyphData.Rows(images).First().Label).ToList();
        var view = GlyphData.View(ml, rows, images.ImageLength);
        var allLabels = ml.Transforms.SelectColumns("Label").Fit(GlyphData.View(ml, images)).Transform(GlyphData.View(ml, images));
        var e = Assert.Throws<Exception>(() => ml.Transforms.Conversion.MapValueToKey("Label", keyData: allLabels)
            .Append(ml.Transforms.StnClassify(Options())).Fit(view));
        Mentions(e, "single class", rows[0].Label, "Label");
    }

    [TestMethod]
    public void KeyTypeWithOneClass()
    {
        var ml = new MLContext(1);
        var images = GlyphData.Images(40, 1);
        var rows = GlyphData.Rows(images).Where(r => r.Label == GlyphData.Rows(images).First().Label).ToList();
        var e = Fit(ml, GlyphData.View(ml, rows, images.ImageLength), Options());
        Mentions(e, "Label", "1 classes", "at least 2");
    }

    [TestMethod]
    public void NonFiniteFeaturesAreRejectedWithTheRow()
    {
        var ml = new MLContext(1);
        var images = GlyphData.Images(30, 1);
        var rows = GlyphData.Rows(images).ToList();
        rows[17].Features[5] = float.NaN;
        var e = Fit(ml, GlyphData.View(ml, rows, images.ImageLength), Options());
        Mentions(e, "Features", "NaN", "row 17");
        rows[17].Features[5] = float.PositiveInfinity;
        e = Fit(ml, GlyphData.View(ml, rows, images.ImageLength), Options());
        Mentions(e, "row 17");
    }

    [TestMethod]
    public void ImageTooSmallForTheLocalisationNet()
    {
        var ml = new MLContext(1);
        var options = Options();
        options.ImageHeight = 8;
        options.ImageWidth = 8;
        var e = Assert.Throws<Exception>(() => ml.Transforms.StnClassify(options));
        Mentions(e, "ImageHeight", "too small", "18");
    }

    [TestMethod]
    public void ImageTooNarrowForTheLocalisationNetNamesTheWidth()
    {
        var options = Options();
        options.ImageWidth = 8;
        var e = Assert.Throws<Exception>(() => new MLContext(1).Transforms.StnClassify(options));
        Mentions(e, "ImageWidth", "too small", "18");
        Assert.DoesNotContain("ImageHeight", ((ArgumentException)e).ParamName ?? "", "the height is fine");
    }

    [TestMethod]
    public void BoundingBoxColumnThatWouldHideAnInputColumnIsRefused()
    {
        var ml = new MLContext(1);
        var options = Options();
        options.BoundingBoxColumnName = "Features";
        var keyed = ml.Transforms.Conversion.MapValueToKey("Label");
        var data = GlyphData.View(ml, GlyphData.Images(40, seed: 1));
        var e = Assert.Throws<Exception>(() => keyed.Append(ml.Transforms.StnClassify(options)).Fit(data));
        Mentions(e, "BoundingBoxColumnName", "Features");
    }

    [TestMethod]
    public void TwoAddedColumnsOfOneNameAreRefused()
    {
        var options = Options();
        options.RectifiedImageColumnName = "Theta";
        var e = Assert.Throws<Exception>(() => new MLContext(1).Transforms.StnClassify(options));
        Mentions(e, "ThetaColumnName", "RectifiedImageColumnName", "'Theta'");
    }

    [TestMethod]
    [DataRow(nameof(StnClassifyOptions.ImageHeight), 0)]
    [DataRow(nameof(StnClassifyOptions.ImageWidth), -3)]
    [DataRow(nameof(StnClassifyOptions.Channels), 0)]
    [DataRow(nameof(StnClassifyOptions.OutputHeight), 0)]
    [DataRow(nameof(StnClassifyOptions.Epochs), 0)]
    [DataRow(nameof(StnClassifyOptions.BatchSize), -1)]
    [DataRow(nameof(StnClassifyOptions.ScoringBatchSize), 0)]
    public void NonPositiveSizesAreRejected(string option, int value)
    {
        var options = Options();
        typeof(StnClassifyOptions).GetProperty(option)!.SetValue(options, value);
        var e = Assert.Throws<Exception>(() => new MLContext(1).Transforms.StnClassify(options));
        Assert.IsInstanceOfType<ArgumentException>(e);
        Mentions(e, option, value.ToString());
    }

    [TestMethod]
    [DataRow(0f)]
    [DataRow(-0.1f)]
    [DataRow(float.NaN)]
    public void NonPositiveLearningRateIsRejected(float rate)
    {
        var options = Options();
        options.LearningRate = rate;
        var e = Assert.Throws<Exception>(() => new MLContext(1).Transforms.StnClassify(options));
        Mentions(e, "LearningRate", rate.ToString());
    }

    [TestMethod]
    public void ScoringSchemaWithoutTheFeatureColumn()
    {
        var ml = TrainedModel.Ml;
        var data = ml.Data.LoadFromEnumerable(new[] { new TextFeatures { Label = "a", Features = "x" } });
        var renamed = ml.Transforms.CopyColumns("Other", "Label").Fit(data).Transform(data);
        var stn = TrainedModel.Transformer;
        var e = Assert.Throws<Exception>(() => stn.Transform(ml.Transforms.DropColumns("Features").Fit(renamed).Transform(renamed)));
        Assert.IsInstanceOfType<ArgumentOutOfRangeException>(e);
        Mentions(e, "Features");
        e = Assert.Throws<Exception>(() => stn.GetOutputSchema(data.Schema));
        Mentions(e, "Features", "Vector<Single, 1024>", "String");
    }
}
