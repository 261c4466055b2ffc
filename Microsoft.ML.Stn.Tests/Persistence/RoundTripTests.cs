using System.IO.Compression;
using Microsoft.ML.Data;
using Microsoft.ML.Stn.Network;
using Microsoft.ML.Stn.Tests.MLNet;

namespace Microsoft.ML.Stn.Tests.Persistence;

[TestClass]
public sealed class RoundTripTests
{
    private const double Tolerance = 1e-6;

    [TestMethod]
    public void FileRoundTripScoresIdentically()
    {
        using var folder = new PersistenceFiles.TempFolder();
        var path = PersistenceFiles.SaveTrainedModel(folder);
        var loaded = new MLContext().Model.Load(path, out var inputSchema);
        AssertSameInputSchema(TrainedModel.TestView.Schema, inputSchema);
        AssertScoresIdentically(loaded);
    }

    [TestMethod]
    public void StreamRoundTripScoresIdentically()
    {
        var loaded = PersistenceFiles.RoundTripThroughStream(out var inputSchema);
        AssertSameInputSchema(TrainedModel.TestView.Schema, inputSchema);
        AssertScoresIdentically(loaded);
    }

    [TestMethod]
    public void OutputColumnTypesAndAnnotationsSurvive()
    {
        var loaded = PersistenceFiles.RoundTripThroughStream(out _);
        var expected = TrainedModel.Model.GetOutputSchema(TrainedModel.TestView.Schema);
        var actual = loaded.GetOutputSchema(TrainedModel.TestView.Schema);

        Assert.HasCount(expected.Count, actual, "output column count");
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.AreEqual(expected[i].Name, actual[i].Name, $"column {i}");
            Assert.AreEqual(expected[i].Type, actual[i].Type, $"type of {expected[i].Name}");
            CollectionAssert.AreEquivalent(
                expected[i].Annotations.Schema.Select(c => c.Name).ToList(),
                actual[i].Annotations.Schema.Select(c => c.Name).ToList(),
                $"annotation kinds of {expected[i].Name}");
        }

        var key = (KeyDataViewType)actual["PredictedLabel"].Type;
        Assert.AreEqual(((KeyDataViewType)expected["PredictedLabel"].Type).Count, key.Count, "key count");
        CollectionAssert.AreEqual(KeyValues(expected["PredictedLabel"]), KeyValues(actual["PredictedLabel"]), "PredictedLabel key values");
        Assert.HasCount((int)key.Count, KeyValues(actual["PredictedLabel"]), "one key value per class");

        CollectionAssert.AreEqual(SlotNames(expected["Score"]), SlotNames(actual["Score"]), "Score slot names");
        CollectionAssert.AreEqual(KeyValues(actual["PredictedLabel"]), SlotNames(actual["Score"]),
            "Score slots are named after the classes in key order");
        Assert.AreEqual(Text(expected["Score"], "ScoreColumnKind"), Text(actual["Score"], "ScoreColumnKind"));
    }

    [TestMethod]
    public void SavedSizeIsCloseToTheWeights()
    {
        using var folder = new PersistenceFiles.TempFolder();
        var path = PersistenceFiles.SaveTrainedModel(folder);
        long weightBytes = WeightCount() * sizeof(float);
        Assert.IsGreaterThan(10_000L, weightBytes, "the network has real weights");

        long size = new FileInfo(path).Length;
        // Trained float weights are close to incompressible, so deflate can only shave a little; anything far above
        // the weights would mean something (a duplicate copy, optimiser state, training data) is saved as well.
        const long Overhead = 8 * 1024;
        Assert.IsGreaterThanOrEqualTo((long)(0.5 * weightBytes), size, $"zip {size} B vs weights {weightBytes} B");
        Assert.IsLessThanOrEqualTo((long)(1.2 * weightBytes) + Overhead, size, $"zip {size} B vs weights {weightBytes} B");

        using var zip = ZipFile.OpenRead(path);
        var entry = zip.Entries.Single(e => e.FullName.EndsWith(PersistenceFiles.EntrySuffix, StringComparison.Ordinal));
        Assert.IsLessThanOrEqualTo(weightBytes + Overhead, entry.Length, "the entry is the weights plus a small header");
    }

    /// <summary>Weights and buffers of the shared model's network, counted from freshly built modules of its shape.</summary>
    private static long WeightCount()
    {
        const int Side = TrainedModel.Canvas;
        // The default moment view reads each view at the rectified image's size.
        int output = TrainedModel.Transformer.OutputHeight;
        using var transformer = new SpatialTransformer(1, Side, Side, output, output,
            localisationWidth: new StnClassifyOptions().LocalisationWidth, momentView: MomentView.InkExtent, viewHeight: output, viewWidth: output);
        using var classifier = new ClassifierNet(1, output, output, 10);
        return transformer.parameters().Concat(classifier.parameters()).Sum(p => p.numel()) + 1;
    }

    internal static void AssertScoresIdentically(ITransformer loaded)
    {
        var expected = TrainedModel.Model.Transform(TrainedModel.TestView);
        var actual = loaded.Transform(TrainedModel.TestView);
        foreach (var column in new[] { "Score", "Theta", "BoundingBox", TrainedModel.RectifiedColumn })
            TrainedModel.AssertSame(TrainedModel.Vectors(expected, column), TrainedModel.Vectors(actual, column), Tolerance, column);
        CollectionAssert.AreEqual(TrainedModel.Keys(expected, "PredictedLabel"), TrainedModel.Keys(actual, "PredictedLabel"), "PredictedLabel");
        CollectionAssert.AreEqual(
            expected.GetColumn<string>("PredictedLabelValue").ToArray(),
            actual.GetColumn<string>("PredictedLabelValue").ToArray(),
            "PredictedLabelValue (MapKeyToValue after the loaded STN)");
    }

    private static void AssertSameInputSchema(DataViewSchema expected, DataViewSchema actual)
    {
        CollectionAssert.AreEqual(expected.Select(c => c.Name).ToList(), actual.Select(c => c.Name).ToList(), "input columns");
        for (int i = 0; i < expected.Count; i++)
            Assert.AreEqual(expected[i].Type, actual[i].Type, $"input type of {expected[i].Name}");
    }

    private static string[] KeyValues(DataViewSchema.Column column)
    {
        var values = default(VBuffer<ReadOnlyMemory<char>>);
        column.GetKeyValues(ref values);
        return values.DenseValues().Select(v => v.ToString()).ToArray();
    }

    private static string[] SlotNames(DataViewSchema.Column column)
    {
        var names = default(VBuffer<ReadOnlyMemory<char>>);
        column.GetSlotNames(ref names);
        return names.DenseValues().Select(v => v.ToString()).ToArray();
    }

    private static string Text(DataViewSchema.Column column, string kind)
    {
        var value = default(ReadOnlyMemory<char>);
        column.Annotations.GetValue(kind, ref value);
        return value.ToString();
    }
}
