using Microsoft.ML.Data;
using Stn.Datasets;

namespace Microsoft.ML.Stn.Tests.MLNet;

[TestClass]
public sealed class ScoringTests
{
    private sealed class Prediction
    {
        public uint PredictedLabel { get; set; }
        public float[] Score { get; set; } = Array.Empty<float>();
        public float[] Theta { get; set; } = Array.Empty<float>();
    }

    [TestMethod]
    public void PredictionEngineAgreesWithBatchedTransform()
    {
        var ml = TrainedModel.Ml;
        var rows = GlyphData.Rows(TrainedModel.TestImages).ToList();
        var batched = TrainedModel.Model.Transform(TrainedModel.TestView);
        var scores = TrainedModel.Vectors(batched, "Score");
        var warps = TrainedModel.Vectors(batched, "Theta");
        var schema = DataViews.Schema(TrainedModel.TestImages.ImageLength);
        var engine = ml.Model.CreatePredictionEngine<ImageRow, Prediction>(TrainedModel.Model, inputSchemaDefinition: schema);
        for (int i = 0; i < 20; i++)
        {
            var p = engine.Predict(rows[i]);
            TrainedModel.AssertSame(new[] { scores[i] }, new[] { p.Score }, 1e-5, "score");
            TrainedModel.AssertSame(new[] { warps[i] }, new[] { p.Theta }, 1e-5, "warp");
            Assert.AreEqual((uint)Array.IndexOf(scores[i], scores[i].Max()) + 1, p.PredictedLabel);
        }
    }

    [TestMethod]
    public void ScoringBatchSizeDoesNotChangeResults()
    {
        var expected = TrainedModel.Model.Transform(TrainedModel.TestView);
        Assert.AreEqual(50, TrainedModel.Transformer.ScoringBatchSize);
        Assert.IsGreaterThan(50, TrainedModel.TestImages.Count, "the data spans several scoring batches of 50");

        // The same seed and options train the same weights; only the rows per forward pass differ (7 leaves a partial
        // last batch, 1 is the single-row path's size).
        foreach (int batchSize in new[] { 7, 1 })
        {
            var options = TrainedModel.Options();
            options.ScoringBatchSize = batchSize;
            var (ml, model, test) = TrainedModel.Train(options);
            Assert.AreEqual(batchSize, ((IEnumerable<ITransformer>)model).OfType<StnClassifyTransformer>().Single().ScoringBatchSize);
            var actual = model.Transform(GlyphData.View(ml, test));
            // Other batch sizes may pick other kernel blockings: float rounding only, relative to each column's range
            // (the rectified image keeps the input's 0–255).
            foreach (var (column, tolerance) in new[] { ("Score", 1e-5), ("Theta", 1e-5), ("BoundingBox", 1e-4), (TrainedModel.RectifiedColumn, 1e-3) })
                TrainedModel.AssertSame(TrainedModel.Vectors(expected, column), TrainedModel.Vectors(actual, column), tolerance, $"{column} at batch {batchSize}");
        }
    }

    [TestMethod]
    public void ShuffledCursorsServeTheRightRows()
    {
        var ml = TrainedModel.Ml;
        var view = ml.Data.Cache(TrainedModel.TestView);
        var scored = TrainedModel.Model.Transform(view);
        var inOrder = TrainedModel.Vectors(scored, "Score");
        var features = TrainedModel.Vectors(scored, "Features");
        var byFirstPixels = new Dictionary<string, float[]>();
        for (int i = 0; i < features.Length; i++) byFirstPixels[Key(features[i])] = inOrder[i];

        var columns = new[] { scored.Schema["Features"], scored.Schema["Score"] };
        using var cursor = scored.GetRowCursor(columns, new Random(3));
        var featureGetter = cursor.GetGetter<VBuffer<float>>(scored.Schema["Features"]);
        var scoreGetter = cursor.GetGetter<VBuffer<float>>(scored.Schema["Score"]);
        VBuffer<float> f = default, s = default;
        int rows = 0, moved = 0;
        while (cursor.MoveNext())
        {
            featureGetter(ref f);
            scoreGetter(ref s);
            var key = Key(f.DenseValues().ToArray());
            TrainedModel.AssertSame(new[] { byFirstPixels[key] }, new[] { s.DenseValues().ToArray() }, 1e-6, "shuffled row");
            if (key != Key(features[rows])) moved++;
            rows++;
        }
        Assert.AreEqual(features.Length, rows);
        Assert.IsGreaterThan(0, moved, "the cursor really served the rows in another order");
    }

    [TestMethod]
    public void ConcurrentScoringMatchesSingleThreaded()
    {
        var expected = TrainedModel.Vectors(TrainedModel.Model.Transform(TrainedModel.TestView), "Score");
        var results = new float[4][][];
        Parallel.For(0, 4, new ParallelOptions { MaxDegreeOfParallelism = 4 }, t =>
            results[t] = TrainedModel.Vectors(TrainedModel.Model.Transform(TrainedModel.TestView), "Score"));
        foreach (var result in results)
            TrainedModel.AssertSame(expected, result, 1e-6, "concurrent scoring");
    }

    [TestMethod]
    public void CursorWithoutAddedColumnsPassesInputThrough()
    {
        var scored = TrainedModel.Model.Transform(TrainedModel.TestView);
        TrainedModel.AssertSame(TrainedModel.Vectors(TrainedModel.TestView, "Features"), TrainedModel.Vectors(scored, "Features"), 0,
            "the input's pixels, row by row");
        var labels = scored.GetColumn<uint>("Label").ToArray();
        Assert.HasCount(TrainedModel.TestImages.Count, labels);
        Assert.IsTrue(labels.All(l => l >= 1 && l <= 10));
    }

    [TestMethod]
    public void GetterOfTheWrongTypeIsRefusedClearly()
    {
        var scored = TrainedModel.Model.Transform(TrainedModel.TestView);
        using var cursor = scored.GetRowCursor(new[] { scored.Schema["Score"], scored.Schema["Label"] });
        var e = Assert.Throws<InvalidOperationException>(() => cursor.GetGetter<float>(scored.Schema["Score"]));
        Assert.Contains("Score", e.Message);
        e = Assert.Throws<InvalidOperationException>(() => cursor.GetGetter<float>(scored.Schema["Label"]));
        Assert.Contains("Label", e.Message);
    }

    [TestMethod]
    public void CursorRefusesReadsBeforeTheFirstRowAndAfterTheLast()
    {
        var scored = TrainedModel.Model.Transform(TrainedModel.TestView);
        using var cursor = scored.GetRowCursor(new[] { scored.Schema["Score"], scored.Schema["Label"] });
        var score = cursor.GetGetter<VBuffer<float>>(scored.Schema["Score"]);
        var label = cursor.GetGetter<uint>(scored.Schema["Label"]);
        var id = cursor.GetIdGetter();
        var value = default(VBuffer<float>);
        uint key = 0;
        var rowId = default(DataViewRowId);
        Assert.AreEqual(-1, cursor.Position);
        Assert.Throws<InvalidOperationException>(() => score(ref value));
        Assert.Throws<InvalidOperationException>(() => label(ref key));
        int rows = 0;
        while (cursor.MoveNext())
        {
            Assert.AreEqual(rows++, cursor.Position);
            score(ref value);
            id(ref rowId);
        }
        Assert.AreEqual(TrainedModel.TestImages.Count, rows);
        Assert.AreEqual(-1, cursor.Position, "after the last row");
        Assert.Throws<InvalidOperationException>(() => score(ref value));
        Assert.Throws<InvalidOperationException>(() => id(ref rowId));
        Assert.IsFalse(cursor.MoveNext());
    }

    /// <summary>
    /// ML.NET's TransformerChain disposes the transformers it holds: the network's memory is freed then, and what would
    /// need it afterwards says so instead of reading freed weights.
    /// </summary>
    [TestMethod]
    public void DisposingTheModelFreesTheNetworkAndLaterUseSaysSo()
    {
        var options = TrainedModel.Options();
        options.Epochs = 1;
        var (ml, model, test) = TrainedModel.Train(options);
        var view = GlyphData.View(ml, test);
        var scored = model.Transform(view);
        Assert.HasCount(test.Count, TrainedModel.Vectors(scored, "Score"));

        ((IDisposable)model).Dispose();
        var e = Assert.ThrowsExactly<ObjectDisposedException>(() => TrainedModel.Vectors(scored, "Score"));
        Assert.Contains("disposed", e.Message);
        Assert.ThrowsExactly<ObjectDisposedException>(() => ml.Model.Save(model, view.Schema, new MemoryStream()));
        var transformer = ((IEnumerable<ITransformer>)model).OfType<StnClassifyTransformer>().Single();
        transformer.Dispose();
        Assert.AreEqual(Glyphs.ClassCount, transformer.ClassCount, "the description stays readable");
    }

    private static string Key(float[] pixels) => string.Join(",", pixels.Select((v, i) => (v, i)).Where(p => p.v > 0).Take(40));
}
