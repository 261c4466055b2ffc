using System.Globalization;
using Microsoft.ML.Data;
using Stn.Datasets;

namespace Microsoft.ML.Stn.Tests.MLNet;

[TestClass]
public sealed class OutputColumnTests
{
    [TestMethod]
    public void TransformKeepsInputColumnsAndAddsTypedOutputs()
    {
        var scored = TrainedModel.Model.Transform(TrainedModel.TestView);
        var schema = scored.Schema;
        Assert.IsNotNull(schema.GetColumnOrNull("Label"));
        Assert.IsNotNull(schema.GetColumnOrNull("Features"));

        var predicted = schema["PredictedLabel"];
        Assert.IsInstanceOfType<KeyDataViewType>(predicted.Type);
        Assert.AreEqual(10UL, ((KeyDataViewType)predicted.Type).Count);
        var keyValues = default(VBuffer<ReadOnlyMemory<char>>);
        predicted.GetKeyValues(ref keyValues);
        var labelKeys = default(VBuffer<ReadOnlyMemory<char>>);
        schema["Label"].GetKeyValues(ref labelKeys);
        CollectionAssert.AreEqual(labelKeys.DenseValues().Select(v => v.ToString()).ToArray(),
            keyValues.DenseValues().Select(v => v.ToString()).ToArray());

        var score = schema["Score"];
        Assert.AreEqual(new VectorDataViewType(NumberDataViewType.Single, 10), score.Type);
        var slotNames = default(VBuffer<ReadOnlyMemory<char>>);
        score.GetSlotNames(ref slotNames);
        CollectionAssert.AreEqual(labelKeys.DenseValues().Select(v => v.ToString()).ToArray(),
            slotNames.DenseValues().Select(v => v.ToString()).ToArray());

        Assert.AreEqual(new VectorDataViewType(NumberDataViewType.Single, 6), schema["Theta"].Type);
        Assert.AreEqual(new VectorDataViewType(NumberDataViewType.Single, 4), schema["BoundingBox"].Type);
        var stn = TrainedModel.Transformer;
        Assert.AreEqual(new VectorDataViewType(NumberDataViewType.Single, stn.OutputHeight * stn.OutputWidth), schema[TrainedModel.RectifiedColumn].Type);
    }

    /// <summary>Numeric labels name Score's slots as ML.NET writes numbers, whatever the culture the model is trained in.</summary>
    [TestMethod]
    public void NumericLabelsNameTheScoreSlotsInvariantly()
    {
        var culture = CultureInfo.CurrentCulture;
        CultureInfo.CurrentCulture = CultureInfo.GetCultureInfo("de-DE");
        try
        {
            var ml = new MLContext(1);
            var images = GlyphData.Images(60, seed: 3);
            var view = images.ToDataView(ml, c => (c + 0.5).ToString(CultureInfo.InvariantCulture));
            var options = TrainedModel.Options();
            options.Epochs = 1;
            var model = ml.Transforms.Conversion.ConvertType("Label", outputKind: DataKind.Single)
                .Append(ml.Transforms.Conversion.MapValueToKey("Label"))
                .Append(ml.Transforms.StnClassify(options))
                .Fit(view);
            var slotNames = default(VBuffer<ReadOnlyMemory<char>>);
            model.Transform(view).Schema["Score"].GetSlotNames(ref slotNames);
            var names = slotNames.DenseValues().Select(v => v.ToString()).ToArray();
            Assert.IsNotEmpty(names);
            Assert.IsTrue(names.All(n => n.EndsWith(".5", StringComparison.Ordinal)), string.Join(" ", names));
        }
        finally
        {
            CultureInfo.CurrentCulture = culture;
        }
    }

    [TestMethod]
    public void BoundingBoxIsTheRegionThetaReads()
    {
        var scored = TrainedModel.Model.Transform(TrainedModel.TestView);
        var thetas = TrainedModel.Vectors(scored, "Theta");
        var boxes = TrainedModel.Vectors(scored, "BoundingBox");
        const double Side = TrainedModel.Canvas;
        for (int i = 0; i < thetas.Length; i++)
        {
            var t = thetas[i];
            // Corners (±1, ±1) through θ, then normalised → pixel edges: (x + 1)·W/2.
            var xs = new[] { -1.0, 1.0 }.SelectMany(x => new[] { -1.0, 1.0 }.Select(y => (t[0] * x + t[1] * y + t[2] + 1) * Side / 2)).ToList();
            var ys = new[] { -1.0, 1.0 }.SelectMany(x => new[] { -1.0, 1.0 }.Select(y => (t[3] * x + t[4] * y + t[5] + 1) * Side / 2)).ToList();
            double[] expected = [xs.Min(), ys.Min(), xs.Max(), ys.Max()];
            for (int k = 0; k < 4; k++)
                Assert.AreEqual(expected[k], boxes[i][k], 1e-3, $"row {i} box slot {k}");
        }
    }

    [TestMethod]
    public void ScoresAreProbabilitiesAndPredictedLabelIsTheirArgmax()
    {
        var scored = TrainedModel.Model.Transform(TrainedModel.TestView);
        var scores = TrainedModel.Vectors(scored, "Score");
        var keys = TrainedModel.Keys(scored, "PredictedLabel");
        for (int i = 0; i < scores.Length; i++)
        {
            Assert.AreEqual(1.0, scores[i].Sum(), 1e-4);
            Assert.IsTrue(scores[i].All(p => p >= 0));
            Assert.AreEqual((uint)Array.IndexOf(scores[i], scores[i].Max()) + 1, keys[i]);
        }
    }

    [TestMethod]
    public void MapKeyToValueRestoresTheOriginalLabels()
    {
        var scored = TrainedModel.Model.Transform(TrainedModel.TestView);
        var predicted = scored.GetColumn<string>("PredictedLabelValue").ToArray();
        var names = Enumerable.Range(0, Glyphs.ClassCount).Select(Glyphs.Name).ToHashSet();
        Assert.HasCount(TrainedModel.TestImages.Count, predicted);
        Assert.IsTrue(predicted.All(names.Contains));
        var truth = TrainedModel.TestImages.Labels.Select(Glyphs.Name).ToArray();
        int correct = predicted.Zip(truth).Count(p => p.First == p.Second);
        Assert.IsGreaterThan(truth.Length / 5, correct, "far better than the 10% of chance");
    }

    [TestMethod]
    public void WarpIsTheMatrixThatMapsTheRectifiedImage()
    {
        var scored = TrainedModel.Model.Transform(TrainedModel.TestView);
        var warps = TrainedModel.Vectors(scored, "Theta");
        var rectified = TrainedModel.Vectors(scored, TrainedModel.RectifiedColumn);
        int size = TrainedModel.Canvas;
        var stn = TrainedModel.Transformer;
        using var scope = global::TorchSharp.torch.NewDisposeScope();
        for (int i = 0; i < 5; i++)
        {
            var input = global::TorchSharp.torch.tensor(TrainedModel.TestImages.Image(i), new long[] { 1, 1, size, size });
            var theta = global::TorchSharp.torch.tensor(warps[i], new long[] { 1, 2, 3 });
            var warped = global::Microsoft.ML.Stn.Network.SpatialTransformer.Warp(input, theta, stn.OutputHeight, stn.OutputWidth).flatten().data<float>().ToArray();
            Assert.HasCount(warped.Length, rectified[i], $"row {i}: the rectified image's size");
            for (int p = 0; p < warped.Length; p++)
                Assert.AreEqual(warped[p], rectified[i][p], 1e-2, $"row {i} pixel {p}: applying the Warp column by hand must give the rectified image");
        }
    }

    [TestMethod]
    public void EvaluateWorksAfterMapKeyToValueOverwritesPredictedLabel()
    {
        var ml = TrainedModel.Ml;
        var scored = TrainedModel.Model.Transform(TrainedModel.TestView);
        var expected = ml.MulticlassClassification.Evaluate(scored);
        var asValues = ml.Transforms.Conversion.MapKeyToValue("PredictedLabel").Fit(scored).Transform(scored);
        Assert.AreEqual(TextDataViewType.Instance, asValues.Schema["PredictedLabel"].Type);
        var metrics = ml.MulticlassClassification.Evaluate(asValues);
        Assert.AreEqual(expected.MicroAccuracy, metrics.MicroAccuracy, 1e-12);
        Assert.AreEqual(expected.LogLoss, metrics.LogLoss, 1e-12);
    }

    [TestMethod]
    public void EvaluateWorksUnchangedWithPerClassMetrics()
    {
        var ml = TrainedModel.Ml;
        var metrics = ml.MulticlassClassification.Evaluate(TrainedModel.Model.Transform(TrainedModel.TestView));
        Assert.HasCount(10, metrics.PerClassLogLoss);
        Assert.IsGreaterThan(0.2, metrics.MicroAccuracy);
        Assert.IsGreaterThan(0.0, metrics.LogLoss);
        Assert.AreEqual(10, metrics.ConfusionMatrix.NumberOfClasses);
    }
}
