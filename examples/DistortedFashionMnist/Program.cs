using System.Diagnostics;
using DistortedFashionMnist;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Stn;
using Stn.Datasets;

CommandLine options;
try
{
    options = CommandLine.Parse(args);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine(e.Message);
    return 2;
}

const int Canvas = 42;
Directory.CreateDirectory(options.Output);
var ml = new MLContext(options.Seed);

LabelledImages trainingPool, test;
Func<int, string> className;
string source;
try
{
    (trainingPool, test, className, source) = LoadData(options);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine(e.Message);
    return 2;
}

Console.WriteLine($"{source}: {options.Train} training, {options.Validation} validation and {options.Test} test images, " +
                  $"rotated ±45°, scaled 0.7–1.2 and shifted on a {Canvas}×{Canvas} canvas.");

var trainView = trainingPool.ToDataView(ml, className, 0, options.Train);
var validationView = trainingPool.ToDataView(ml, className, options.Train, options.Validation);
var testView = test.ToDataView(ml, className, 0, options.Test);

// ValidationData must already carry the key-typed label the pipeline's MapValueToKey gives the training data.
var keyedValidation = ml.Transforms.Conversion.MapValueToKey("Label").Fit(trainView).Transform(validationView);

var stn = Train("STN", useSpatialTransformer: true);
var baseline = Train("CNN", useSpatialTransformer: false);

Console.WriteLine();
Console.WriteLine($"Test set: {options.Test} images, {options.Epochs} epochs each, batch 64, Adam learning rates: CNN 0.001, " +
                  $"STN classifier {options.StnLearningRate:G3}, localisation net {options.LocalisationLearningRate:G3}");
Console.WriteLine($"{"Model",-26}{"Accuracy",10}{"Macro acc",11}{"Log-loss",10}{"Train time",12}");
foreach (var run in new[] { stn, baseline })
{
    Console.WriteLine($"{run.Name,-26}{run.Metrics.MicroAccuracy,10:P2}{run.Metrics.MacroAccuracy,11:P2}" +
                      $"{run.Metrics.LogLoss,10:F3}{run.TrainingTime.TotalSeconds,11:F1}s");
}

Console.WriteLine();
var sheetPath = Path.Combine(options.Output, "rectified.png");
WriteContactSheet(stn, sheetPath);
Console.WriteLine($"Test inputs (left) and STN rectified images (right): {sheetPath}");

var plotPath = Path.Combine(options.Output, "accuracy.png");
Png.WriteLinePlot(plotPath, $"Distorted {source}: accuracy by epoch",
[
    ("STN training", History(stn, p => p.TrainingAccuracy)),
    ("STN validation", History(stn, p => p.ValidationAccuracy ?? double.NaN)),
    ("CNN training", History(baseline, p => p.TrainingAccuracy)),
    ("CNN validation", History(baseline, p => p.ValidationAccuracy ?? double.NaN)),
], "epoch", "accuracy");
Console.WriteLine($"Training and validation accuracy by epoch: {plotPath}");

var modelPath = Path.Combine(options.Output, "stn-model.zip");
ml.Model.Save(stn.Model, trainView.Schema, modelPath);
Console.WriteLine($"Trained STN model: {modelPath}");

// The same model for ONNX Runtime. Scoring needs no label, so the export leaves out MapValueToKey and takes only the
// pixels: the graph's one input is Features, its outputs Score, PredictedLabel (the class name), Warp and Rectified.
var onnxPath = Path.Combine(options.Output, "stn-model.onnx");
var exportClock = Stopwatch.StartNew();
using (var onnxFile = File.Create(onnxPath))
{
    var scoringModel = new TransformerChain<ITransformer>(((IEnumerable<ITransformer>)stn.Model).Skip(1).ToArray());
    ml.Model.ConvertToOnnx(scoringModel, DataViews.PixelsOnly(ml, Canvas * Canvas), onnxFile);
}
Console.WriteLine($"ONNX model: {onnxPath} ({new FileInfo(onnxPath).Length / 1024.0:F0} KiB, exported in {exportClock.Elapsed.TotalSeconds:F2} s)");
return 0;

TrainedModel Train(string name, bool useSpatialTransformer)
{
    var progress = new ProgressLine(name);
    var pipeline = ml.Transforms.Conversion.MapValueToKey("Label")
        .Append(ml.Transforms.StnClassify(new StnClassifyOptions
        {
            LabelColumnName = "Label",
            FeatureColumnName = "Features",
            ImageHeight = Canvas,
            ImageWidth = Canvas,
            Channels = 1,
            Epochs = options.Epochs,
            BatchSize = 64,
            // The baseline keeps Adam's usual rate; the STN's classifier and localisation net have their own.
            LearningRate = useSpatialTransformer ? options.StnLearningRate : 1e-3f,
            LocalisationLearningRate = options.LocalisationLearningRate,
            UseSpatialTransformer = useSpatialTransformer,
            ValidationData = keyedValidation,
            RectifiedImageColumnName = useSpatialTransformer ? "Rectified" : null,
            Seed = options.Seed,
            Progress = progress.Report,
        }))
        .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel"));

    var clock = Stopwatch.StartNew();
    var model = pipeline.Fit(trainView);
    var trainingTime = clock.Elapsed;
    var scored = model.Transform(testView);
    var metrics = ml.MulticlassClassification.Evaluate(scored, labelColumnName: "Label", scoreColumnName: "Score");
    string label = useSpatialTransformer ? "STN + CNN" : "CNN (no transformer)";
    return new TrainedModel(label, model, model.OfType<StnClassifyTransformer>().Single(), scored, metrics, trainingTime);
}

void WriteContactSheet(TrainedModel run, string path)
{
    const int Shown = 40;
    var inputs = run.Scored.GetColumn<float[]>("Features").Take(Shown).ToList();
    var rectified = run.Scored.GetColumn<float[]>("Rectified").Take(Shown).ToList();
    var pairs = inputs.Zip(rectified, (a, b) => (a, Canvas, b, Canvas)).ToList();
    Png.WriteContactSheet(path, pairs, columns: 8, scale: 3);
}

static IReadOnlyList<double> History(TrainedModel run, Func<StnTrainingProgress, double> value) =>
    run.Stn.TrainingHistory.Select(value).ToList();

static (LabelledImages TrainingPool, LabelledImages Test, Func<int, string> ClassName, string Source) LoadData(CommandLine o)
{
    int pool = o.Train + o.Validation;
    if (FashionMnist.TryFind(o.DataDirectory, out var trainImages, out var trainLabels, out var testImages, out var testLabels))
    {
        var (trainPixels, trainCount, rows, cols) = Idx.ReadImages(trainImages);
        var (testPixels, testCount, _, _) = Idx.ReadImages(testImages);
        if (pool > trainCount || o.Test > testCount)
        {
            throw new ArgumentException(
                $"Fashion-MNIST has {trainCount} training and {testCount} test images; asked for {pool} and {o.Test}.");
        }

        var names = FashionMnist.ClassNames;
        return (FashionMnist.DistortedSubset(trainPixels, Idx.ReadLabels(trainLabels), rows, cols, pool, o.Seed, Canvas),
                FashionMnist.DistortedSubset(testPixels, Idx.ReadLabels(testLabels), rows, cols, o.Test, o.Seed + 1, Canvas),
                c => names[c], "Fashion-MNIST");
    }

    Console.WriteLine($"Fashion-MNIST not found in {o.DataDirectory} (apt install dataset-fashion-mnist); using generated glyphs instead.");
    const int GlyphSide = 28;
    return (GlyphDataset.Generate(pool, o.Seed, Canvas, GlyphSide, 45, 0.7, 1.2, 7),
            GlyphDataset.Generate(o.Test, o.Seed + 1, Canvas, GlyphSide, 45, 0.7, 1.2, 7),
            Glyphs.Name, "glyphs");
}

internal sealed record TrainedModel(
    string Name, ITransformer Model, StnClassifyTransformer Stn, IDataView Scored, MulticlassClassificationMetrics Metrics, TimeSpan TrainingTime);
