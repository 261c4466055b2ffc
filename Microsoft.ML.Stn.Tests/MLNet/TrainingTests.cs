using System.Reflection;
using Microsoft.ML.Data;

namespace Microsoft.ML.Stn.Tests.MLNet;

[TestClass]
public sealed class TrainingTests
{
    private static StnClassifyOptions Quick() => new() { ImageHeight = 32, ImageWidth = 32, Epochs = 1, BatchSize = 32 };

    private static ITransformer Fit(MLContext ml, IDataView train, StnClassifyOptions options) =>
        ml.Transforms.Conversion.MapValueToKey("Label").Append(ml.Transforms.StnClassify(options)).Fit(train);

    [TestMethod]
    public void SameSeedAndDataGiveTheSamePredictions()
    {
        var train = GlyphData.Images(200, seed: 21);
        var test = GlyphData.Images(40, seed: 22);
        float[][] Run(int seed)
        {
            var ml = new MLContext(seed);
            var model = Fit(ml, GlyphData.View(ml, train), Quick());
            return TrainedModel.Vectors(model.Transform(GlyphData.View(ml, test)), "Score");
        }
        var first = Run(5);
        TrainedModel.AssertSame(first, Run(5), 0, "same seed");
        var other = Run(6);
        Assert.IsTrue(first.Zip(other).Any(p => !p.First.SequenceEqual(p.Second)), "another seed trains another model");
    }

    [TestMethod]
    public void EpochsAreLoggedThroughTheMLContext()
    {
        var ml = new MLContext(1);
        var messages = new List<string>();
        ml.Log += (_, e) => { lock (messages) messages.Add(e.Message); };
        var options = Quick();
        options.Epochs = 2;
        var reports = new List<StnTrainingProgress>();
        options.Progress = reports.Add;
        Fit(ml, GlyphData.View(ml, GlyphData.Images(100, seed: 1)), options);
        Assert.IsTrue(messages.Any(m => m.Contains("Epoch 1/2: loss")), string.Join("\n", messages.TakeLast(20)));
        Assert.IsTrue(messages.Any(m => m.Contains("Epoch 2/2: loss") && m.Contains("images/s")));
        var epochEnds = reports.Where(r => r.IsEpochEnd).ToList();
        Assert.HasCount(2, epochEnds);
        Assert.AreEqual(4 * 2, reports.Count(r => !r.IsEpochEnd), "one report per batch: 100 rows in batches of 32");
        Assert.IsTrue(epochEnds.All(r => r.Loss > 0 && r.ImagesPerSecond > 0 && r.TrainingAccuracy is >= 0 and <= 1));
    }

    [TestMethod]
    public void CancellationTokenStopsTrainingWithinABatch()
    {
        var ml = new MLContext(1);
        using var cancellation = new CancellationTokenSource();
        var options = Quick();
        options.Epochs = 5;
        options.CancellationToken = cancellation.Token;
        int batches = 0;
        options.Progress = p =>
        {
            if (!p.IsEpochEnd && ++batches == 2) cancellation.Cancel();
        };
        var train = GlyphData.View(ml, GlyphData.Images(320, seed: 2));
        Assert.Throws<OperationCanceledException>(() => Fit(ml, train, options));
        Assert.AreEqual(2, batches, "no batch runs after the cancellation");
    }

    [TestMethod]
    public void MLContextCancelExecutionStopsTrainingWithinABatch()
    {
        // ML.NET 5 keeps MLContext.CancelExecution internal; tools that reach it (as ML.NET's AutoML does) must stop us too.
        var ml = new MLContext(1);
        var cancel = typeof(MLContext).GetMethod("CancelExecution", BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public)!;
        var options = Quick();
        options.Epochs = 5;
        int batches = 0;
        options.Progress = p =>
        {
            if (!p.IsEpochEnd && ++batches == 2) cancel.Invoke(ml, null);
        };
        var train = GlyphData.View(ml, GlyphData.Images(320, seed: 2));
        Assert.Throws<OperationCanceledException>(() => Fit(ml, train, options));
        Assert.AreEqual(2, batches, "no batch runs after the cancellation");
    }

    [TestMethod]
    public void ValidationKeepsTheBestEpochAndStopsEarly()
    {
        var ml = new MLContext(3);
        var keyed = ml.Transforms.Conversion.MapValueToKey("Label").Fit(GlyphData.View(ml, GlyphData.Images(300, seed: 31)));
        var train = keyed.Transform(GlyphData.View(ml, GlyphData.Images(300, seed: 31)));
        var validation = keyed.Transform(GlyphData.View(ml, GlyphData.Images(100, seed: 32)));
        StnClassifyOptions Options()
        {
            var options = Quick();
            options.Epochs = 12;
            options.LearningRate = 0.005f;
            // At a constant rate the first k epochs of a longer run are a k-epoch run, whose model can be compared.
            options.LearningRateSchedule = LearningRateSchedule.Constant;
            return options;
        }
        var withValidation = Options();
        withValidation.ValidationData = validation;
        withValidation.EarlyStoppingPatience = 2;
        var model = new MLContext(3).Transforms.StnClassify(withValidation).Fit(train);

        var history = model.TrainingHistory;
        Assert.IsTrue(history.All(h => h.ValidationAccuracy is not null));
        double best = history.Max(h => h.ValidationAccuracy!.Value);
        var metrics = ml.MulticlassClassification.Evaluate(model.Transform(validation));
        Assert.AreEqual(best, metrics.MicroAccuracy, 1e-9, "the kept weights are those of the best validation epoch");

        // The first epoch that reached the best accuracy is the one kept, not the last one trained.
        int bestEpoch = history.First(h => h.ValidationAccuracy == best).Epoch;
        Console.WriteLine($"validation accuracy by epoch: {string.Join(" ", history.Select(h => h.ValidationAccuracy))}; best first at epoch {bestEpoch}");
        var shorter = Options();
        shorter.Epochs = bestEpoch;
        var reference = new MLContext(3).Transforms.StnClassify(shorter).Fit(train);
        TrainedModel.AssertSame(TrainedModel.Vectors(reference.Transform(validation), "Score"), TrainedModel.Vectors(model.Transform(validation), "Score"), 0,
            $"the model after epoch {bestEpoch} of {history.Count}");
    }

    [TestMethod]
    public void EarlyStoppingStopsWhenThePatienceRunsOut()
    {
        var ml = new MLContext(3);
        var keyed = ml.Transforms.Conversion.MapValueToKey("Label").Fit(GlyphData.View(ml, GlyphData.Images(200, seed: 31)));
        var train = keyed.Transform(GlyphData.View(ml, GlyphData.Images(200, seed: 31)));
        var options = Quick();
        options.Epochs = 10;
        // So small a rate cannot change any prediction: validation accuracy stays that of epoch 1, which is never beaten.
        options.LearningRate = 1e-12f;
        options.ValidationData = keyed.Transform(GlyphData.View(ml, GlyphData.Images(100, seed: 32)));
        options.EarlyStoppingPatience = 2;
        var history = ml.Transforms.StnClassify(options).Fit(train).TrainingHistory;

        Assert.AreEqual(1, history.Select(h => h.ValidationAccuracy).Distinct().Count(), "validation accuracy never changed");
        Assert.HasCount(1 + options.EarlyStoppingPatience, history, "epoch 1, then two epochs without improvement, then stop");
    }

    [TestMethod]
    public void LearningRateScheduleAndSgdTrain()
    {
        List<string> Log(StnOptimizer optimizer) => TwoEpochLog(options =>
        {
            options.Optimizer = optimizer;
            options.LearningRateSchedule = LearningRateSchedule.Step;
            options.LearningRateStepEpochs = 1;
        });
        var messages = Log(StnOptimizer.Sgd);
        Assert.IsTrue(messages.Any(m => m.Contains("Epoch 1/2") && m.Contains("learning rate 0.001")));
        Assert.IsTrue(messages.Any(m => m.Contains("Epoch 2/2") && m.Contains("learning rate 0.0001")));
        // The schedule sets the rate whatever the optimiser; the losses show that SGD, not Adam, took the steps.
        static string Epochs(List<string> log) => string.Join(" ", log.Where(m => m.Contains("Epoch ") && m.Contains(": loss "))
            .Select(m => m[m.IndexOf(": loss ", StringComparison.Ordinal)..].Split(',')[0]));
        var sgd = Epochs(messages);
        Assert.IsFalse(string.IsNullOrEmpty(sgd));
        Assert.AreNotEqual(Epochs(Log(StnOptimizer.Adam)), sgd);
    }

    [TestMethod]
    [DataRow(null, "0.0005", DisplayName = "default: half a cosine")]
    [DataRow(LearningRateSchedule.Constant, "0.001", DisplayName = "Constant")]
    public void DefaultScheduleAnnealsAlongACosine(LearningRateSchedule? schedule, string secondEpochRate)
    {
        var messages = TwoEpochLog(options =>
        {
            if (schedule is { } chosen)
                options.LearningRateSchedule = chosen;
        });
        Assert.IsTrue(messages.Any(m => m.Contains("Epoch 1/2") && m.EndsWith("learning rate 0.001", StringComparison.Ordinal)));
        Assert.IsTrue(messages.Any(m => m.Contains("Epoch 2/2") && m.EndsWith($"learning rate {secondEpochRate}", StringComparison.Ordinal)));
    }

    /// <summary>The log of two quick epochs on 64 glyphs, with <paramref name="configure"/> applied to the options.</summary>
    private static List<string> TwoEpochLog(Action<StnClassifyOptions> configure)
    {
        var ml = new MLContext(4);
        var options = Quick();
        options.Epochs = 2;
        configure(options);
        var messages = new List<string>();
        ml.Log += (_, e) => { lock (messages) messages.Add(e.Message); };
        Fit(ml, GlyphData.View(ml, GlyphData.Images(64, seed: 4)), options);
        return messages;
    }

    /// <summary>How far θ moved from the identity (largest entry difference) after one epoch on 128 glyphs.</summary>
    private static double WarpMovement(Action<StnClassifyOptions> configure)
    {
        var ml = new MLContext(4);
        var options = Quick();
        // θ is then the localisation net's alone; the moments' view would move it from the identity before any step.
        options.MomentNormalisation = false;
        configure(options);
        var model = Fit(ml, GlyphData.View(ml, GlyphData.Images(128, seed: 4)), options);
        float[] identity = { 1, 0, 0, 0, 1, 0 };
        return TrainedModel.Vectors(model.Transform(GlyphData.View(ml, GlyphData.Images(8, seed: 5))), "Theta")
            .Max(w => w.Zip(identity).Max(p => Math.Abs(p.First - p.Second)));
    }

    [TestMethod]
    public void LocalisationLearningRateDrivesOnlyTheLocalisationNet()
    {
        Assert.IsLessThan(1e-6, WarpMovement(o => o.LocalisationLearningRate = 1e-12f), "a vanishing localisation rate leaves the warp at the identity");
        Assert.IsGreaterThan(1e-3, WarpMovement(o => o.LocalisationLearningRate = null), "with the classifier's rate the warp moves");
    }

    [TestMethod]
    public void LocalisationWarmupHoldsTheWarpBackAtFirst()
    {
        double plain = WarpMovement(o => o.LocalisationWarmupEpochs = 0);
        // Four batches of a 1000-epoch ramp: the localisation net takes steps of at most 4/4000 of its rate.
        double held = WarpMovement(o => o.LocalisationWarmupEpochs = 1000);
        Assert.IsLessThan(plain / 20, held, $"the warp moved {held} with the warm-up, {plain} without");
        Assert.IsGreaterThan(0, held, "the ramp starts above zero");
    }

    [TestMethod]
    public void NegativeLocalisationWarmupIsRejected()
    {
        var options = Quick();
        options.LocalisationWarmupEpochs = -1;
        var e = Assert.Throws<ArgumentException>(() => new MLContext(1).Transforms.StnClassify(options));
        Assert.Contains("LocalisationWarmupEpochs", e.Message);
        Assert.Contains("-1", e.Message);
    }

    [TestMethod]
    [DataRow(0f)]
    [DataRow(-1f)]
    [DataRow(float.PositiveInfinity)]
    public void NonPositiveLocalisationLearningRateIsRejected(float rate)
    {
        var options = Quick();
        options.LocalisationLearningRate = rate;
        var e = Assert.Throws<ArgumentException>(() => new MLContext(1).Transforms.StnClassify(options));
        Assert.Contains("LocalisationLearningRate", e.Message);
    }

    [TestMethod]
    public void ProjectiveTransformGivesNineWarpValues()
    {
        var ml = new MLContext(4);
        var options = Quick();
        options.Transform = TransformKind.Projective;
        options.OutputHeight = 24;
        options.OutputWidth = 20;
        options.RectifiedImageColumnName = "V";
        var model = Fit(ml, GlyphData.View(ml, GlyphData.Images(64, seed: 4)), options);
        var scored = model.Transform(GlyphData.View(ml, GlyphData.Images(8, seed: 5)));
        Assert.IsTrue(TrainedModel.Vectors(scored, "Theta").All(w => w.Length == 9));
        Assert.IsTrue(TrainedModel.Vectors(scored, "V").All(v => v.Length == 24 * 20));
    }

    [TestMethod]
    public void BaselineWithoutSpatialTransformerHasIdentityWarp()
    {
        var ml = new MLContext(4);
        var options = Quick();
        options.UseSpatialTransformer = false;
        var model = Fit(ml, GlyphData.View(ml, GlyphData.Images(64, seed: 4)), options);
        foreach (var warp in TrainedModel.Vectors(model.Transform(GlyphData.View(ml, GlyphData.Images(8, seed: 5))), "Theta"))
            CollectionAssert.AreEqual(new float[] { 1, 0, 0, 0, 1, 0 }, warp);
    }
}
