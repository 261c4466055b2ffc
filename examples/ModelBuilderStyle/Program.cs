using System.Diagnostics;
using System.Globalization;
using Microsoft.ML;
using ModelBuilderStyle;

if (!(args.Length == 0 || args.Length == 2 && args[0] == "--output"))
{
    Console.Error.WriteLine("Usage: ModelBuilderStyle [--output DIR]");
    return 2;
}

string output = Path.GetFullPath(args.Length == 2 ? args[1] : "output");

const int PerClass = 60, Epochs = 20, Seed = 7;
var imageFolder = Path.Combine(output, "data", "images");
var modelPath = Path.Combine(output, "MLModel.zip");
var csvPath = Path.Combine(output, "predictions.csv");

if (Directory.Exists(imageFolder))
    Directory.Delete(imageFolder, recursive: true);
ImageFolder.WriteGlyphs(imageFolder, PerClass, MLModel.ImageSide, Seed);
var inputs = ImageFolder.List(imageFolder);
Console.WriteLine($"Wrote {inputs.Count} labelled {MLModel.ImageSide}×{MLModel.ImageSide} PNGs to {imageFolder}");

var ml = new MLContext(Seed);
var data = ml.Data.LoadFromEnumerable(inputs);
var split = ml.Data.TrainTestSplit(data, testFraction: 0.2, seed: Seed);

var clock = Stopwatch.StartNew();
var model = MLModel.Train(ml, split.TrainSet, imageFolder, Epochs, modelPath);
Console.WriteLine($"Trained for {Epochs} epochs in {clock.Elapsed.TotalSeconds:F1}s, saved {modelPath}");

var metrics = MLModel.Evaluate(ml, model, split.TestSet);
Console.WriteLine($"Held-out 20 %: accuracy {metrics.MicroAccuracy:P1}, macro accuracy {metrics.MacroAccuracy:P1}, log-loss {metrics.LogLoss:F3}");

MLModel.ModelPath = modelPath;
var sample = inputs[0];
var prediction = MLModel.Predict(sample);
Console.WriteLine($"MLModel.Predict({sample.ImagePath}): {prediction.PredictedLabel} (p = {prediction.Score.Max():F3}), " +
                  $"θ = [{string.Join(", ", prediction.Theta.Select(w => w.ToString("F3", CultureInfo.InvariantCulture)))}]");

clock.Restart();
int rows = BatchScore(modelPath, inputs, csvPath);
Console.WriteLine($"Scored the {rows} images of the folder through IDataView in {clock.Elapsed.TotalSeconds:F1}s: {csvPath}");
return 0;

// Scoring a whole folder goes through one IDataView, so the transformer scores rows in batches instead of one by one.
static int BatchScore(string modelPath, IReadOnlyList<ModelInput> inputs, string csvPath)
{
    var ml = new MLContext();
    var model = ml.Model.Load(modelPath, out _);
    var scored = model.Transform(ml.Data.LoadFromEnumerable(inputs));

    using var csv = new StreamWriter(csvPath);
    csv.WriteLine("file,label,predicted,score,warp_a,warp_b,warp_tx,warp_c,warp_d,warp_ty");
    int count = 0;
    foreach (var row in ml.Data.CreateEnumerable<ScoredImage>(scored, reuseRowObject: false))
    {
        // The sub-folder names the true label, as in the layout Model Builder reads.
        var fields = new[] { row.ImagePath, Path.GetFileName(Path.GetDirectoryName(row.ImagePath)) ?? "", row.PredictedLabel,
                row.Score.Max().ToString("F4", CultureInfo.InvariantCulture) }
            .Concat(row.Theta.Select(w => w.ToString("F4", CultureInfo.InvariantCulture)));
        csv.WriteLine(string.Join(',', fields));
        count++;
    }
    return count;
}

internal sealed class ScoredImage
{
    public string ImagePath { get; set; } = "";

    public string PredictedLabel { get; set; } = "";

    public float[] Score { get; set; } = [];

    public float[] Theta { get; set; } = [];
}
