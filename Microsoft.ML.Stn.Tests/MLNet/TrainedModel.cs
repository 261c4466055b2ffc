using System.Reflection;
using Microsoft.ML.Data;
using Stn.Datasets;
using static TorchSharp.torch;

namespace Microsoft.ML.Stn.Tests.MLNet;

/// <summary>
/// One small model trained once per test run and shared by the tests that only need a fitted pipeline (schema,
/// Evaluate, PredictionEngine, concurrency, persistence). Training is deterministic for the seed.
/// </summary>
internal static class TrainedModel
{
    public const int Canvas = 32;
    public const string RectifiedColumn = "RectifiedImage";

    private static readonly Lazy<(MLContext Ml, ITransformer Model, LabelledImages Test)> s_model = new(Train);

    public static MLContext Ml => s_model.Value.Ml;

    public static ITransformer Model => s_model.Value.Model;

    public static LabelledImages TestImages => s_model.Value.Test;

    /// <summary>The shared model's StnClassify step.</summary>
    public static StnClassifyTransformer Transformer => ((IEnumerable<ITransformer>)Model).OfType<StnClassifyTransformer>().Single();

    public static IDataView TestView => GlyphData.View(Ml, TestImages);

    public static StnClassifyOptions Options() => new()
    {
        ImageHeight = Canvas,
        ImageWidth = Canvas,
        Epochs = 3,
        RectifiedImageColumnName = RectifiedColumn,
        ScoringBatchSize = 50,
    };

    private static (MLContext, ITransformer, LabelledImages) Train() => Train(Options());

    /// <summary>Trains the shared model's pipeline with other options; the same options give the same model.</summary>
    public static (MLContext, ITransformer, LabelledImages) Train(StnClassifyOptions options)
    {
        var ml = new MLContext(seed: 7);
        var train = GlyphData.Images(800, seed: 11);
        var pipeline = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.Transforms.StnClassify(options))
            .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabelValue", "PredictedLabel"));
        var model = pipeline.Fit(GlyphData.View(ml, train));
        return (ml, model, GlyphData.Images(120, seed: 12));
    }

    /// <summary>
    /// Sets the localisation head of <paramref name="model"/>'s StnClassify step to small random weights (seeded) and
    /// <paramref name="bias"/>, so that θ is known to leave the identity and to vary from image to image. The network
    /// is internal to the transformer; a test reaches it by reflection.
    /// </summary>
    public static void SetLocalisationHead(ITransformer model, float[] bias)
    {
        var transformer = ((IEnumerable<ITransformer>)model).OfType<StnClassifyTransformer>().Single();
        var network = (nn.Module)typeof(StnClassifyTransformer)
            .GetProperty("Network", BindingFlags.NonPublic | BindingFlags.Instance)!.GetValue(transformer)!;
        var head = network.named_parameters().Where(p => p.name.Contains("localisation.head.")).ToDictionary(p => p.name.Split('.')[^1], p => p.parameter);
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var generator = new Generator(17);
        head["weight"].copy_(rand(head["weight"].shape, generator: generator).sub_(0.5).mul_(0.1));
        head["bias"].copy_(tensor(bias));
    }

    /// <summary>All rows' values of a vector column, in order.</summary>
    public static float[][] Vectors(IDataView view, string column) => view.GetColumn<float[]>(column).ToArray();

    public static uint[] Keys(IDataView view, string column) => view.GetColumn<uint>(column).ToArray();

    public static void AssertSame(float[][] expected, float[][] actual, double tolerance, string what)
    {
        Assert.HasCount(expected.Length, actual, what);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.HasCount(expected[i].Length, actual[i], $"{what} row {i}");
            for (int j = 0; j < expected[i].Length; j++)
                Assert.AreEqual(expected[i][j], actual[i][j], tolerance, $"{what} row {i} slot {j}");
        }
    }
}
