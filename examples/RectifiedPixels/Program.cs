// The spatial transformer as a learned pre-processing stage for any ML.NET pipeline: StnClassify's rectified image
// (RectifiedImage) feeds ML.NET's own SdcaMaximumEntropy, against the same trainer on the raw pixels.
using System.Diagnostics;
using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Stn;
using Stn.Datasets;
using Stn.Examples;

const string Usage =
    "Usage: RectifiedPixels [--data rts|cluttered] [--train N] [--test N] [--epochs N] [--seed N] [--data-dir DIR] [--stn Option=Value,...]\n" +
    "  rts: rotated ±45°, scaled 0.7–1.2, shifted on 42×42 (default); cluttered: translated on 60×60 over 6×6 clutter\n" +
    "  --stn: further StnClassifyOptions of the spatial transformer";

var settings = new Dictionary<string, string>(StringComparer.Ordinal)
{
    ["data"] = "rts", ["train"] = "3000", ["test"] = "1000", ["epochs"] = "8", ["seed"] = "1", ["data-dir"] = FashionMnist.DefaultDirectory, ["stn"] = "",
};
for (int i = 0; i < args.Length; i += 2)
{
    if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length || !settings.ContainsKey(args[i][2..]))
    {
        Console.Error.WriteLine($"Unexpected argument '{args[i]}'.\n{Usage}");
        return 2;
    }

    settings[args[i][2..]] = args[i + 1];
}

int Number(string name)
{
    if (!int.TryParse(settings[name], NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) || value < 1)
        throw new ArgumentException($"--{name} needs a positive integer, got '{settings[name]}'.\n{Usage}");
    return value;
}

bool cluttered;
int train, test, epochs, seed;
try
{
    cluttered = settings["data"] switch
    {
        "rts" => false,
        "cluttered" => true,
        var other => throw new ArgumentException($"--data takes rts or cluttered, got '{other}'.\n{Usage}"),
    };
    (train, test, epochs, seed) = (Number("train"), Number("test"), Number("epochs"), Number("seed"));
    OptionSettings.Apply(new StnClassifyOptions(), settings["stn"]);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine(e.Message);
    return 2;
}

int canvas = cluttered ? 60 : 42;
var (trainImages, testImages, className, source) = Load(settings["data-dir"]);
Console.WriteLine($"{source}, {(cluttered ? "translated and cluttered on 60×60" : "rotated, scaled and shifted on 42×42")}: " +
                  $"{train} training and {test} test images, seed {seed}.");

var ml = new MLContext(seed);
var trainView = trainImages.ToDataView(ml, className);
var testView = testImages.ToDataView(ml, className);

// The raw-pixel baseline: scale the pixels to [0, 1] and train the linear maximum-entropy model on them.
var raw = Measure("SdcaMaximumEntropy on raw pixels", ml.Transforms.Conversion.MapValueToKey("Label")
    .Append(ml.Transforms.NormalizeMinMax("Features"))
    .AppendCacheCheckpoint(ml)
    .Append(ml.MulticlassClassification.Trainers.SdcaMaximumEntropy("Label", "Features")));

// The same trainer on the STN's rectified image. One Fit trains the spatial transformer (with its own classifier, whose
// outputs are kept under other names) and then the linear model on what the transformer made of the training images.
// The cache checkpoint keeps SDCA's passes over the data from running the transformer again on every pass.
var stnOptions = new StnClassifyOptions
{
    ImageHeight = canvas,
    ImageWidth = canvas,
    Epochs = epochs,
    RectifiedImageColumnName = "RectifiedImage",
    ScoreColumnName = "StnScore",
    PredictedLabelColumnName = "StnPredictedLabel",
};
OptionSettings.Apply(stnOptions, settings["stn"]);
var rectified = Measure("SdcaMaximumEntropy on STN-rectified pixels", ml.Transforms.Conversion.MapValueToKey("Label")
    .Append(ml.Transforms.StnClassify(stnOptions))
    .Append(ml.Transforms.NormalizeMinMax("RectifiedImage"))
    .AppendCacheCheckpoint(ml)
    .Append(ml.MulticlassClassification.Trainers.SdcaMaximumEntropy("Label", "RectifiedImage")));

Console.WriteLine();
Console.WriteLine($"{"pipeline",-46}{"accuracy",10}{"macro acc",11}{"fit time",10}");
foreach (var (name, accuracy, macro, time) in new[] { raw, rectified })
    Console.WriteLine($"{name,-46}{accuracy,10:P2}{macro,11:P2}{time.TotalSeconds,9:F1}s");
Console.WriteLine($"gain from the rectified image: {100 * (rectified.Accuracy - raw.Accuracy):F2} points");
return 0;

(string Name, double Accuracy, double Macro, TimeSpan Time) Measure<T>(string name, IEstimator<T> pipeline) where T : ITransformer
{
    Console.WriteLine($"Fitting: {name} …");
    var clock = Stopwatch.StartNew();
    var model = pipeline.Fit(trainView);
    var time = clock.Elapsed;
    var metrics = ml.MulticlassClassification.Evaluate(model.Transform(testView));
    return (name, metrics.MicroAccuracy, metrics.MacroAccuracy, time);
}

(LabelledImages Train, LabelledImages Test, Func<int, string> ClassName, string Source) Load(string directory)
{
    if (!FashionMnist.TryFind(directory, out var trainPath, out var trainLabels, out var testPath, out var testLabels))
    {
        Console.WriteLine($"Fashion-MNIST not found in {directory}; using generated glyphs instead.");
        return cluttered
            ? (GlyphDataset.GenerateCluttered(train, seed), GlyphDataset.GenerateCluttered(test, seed + 1), Glyphs.Name, "glyphs")
            : (GlyphDataset.Generate(train, seed, canvas, 28, 45, 0.7, 1.2, 7), GlyphDataset.Generate(test, seed + 1, canvas, 28, 45, 0.7, 1.2, 7),
               Glyphs.Name, "glyphs");
    }

    var (trainPixels, _, rows, cols) = Idx.ReadImages(trainPath);
    var (testPixels, _, _, _) = Idx.ReadImages(testPath);
    byte[] trainLabelBytes = Idx.ReadLabels(trainLabels), testLabelBytes = Idx.ReadLabels(testLabels);
    var names = FashionMnist.ClassNames;
    return cluttered
        ? (FashionMnist.ClutteredSubset(trainPixels, trainLabelBytes, rows, train, seed),
           FashionMnist.ClutteredSubset(testPixels, testLabelBytes, rows, test, seed + 1), c => names[c], "Fashion-MNIST")
        : (FashionMnist.DistortedSubset(trainPixels, trainLabelBytes, rows, cols, train, seed),
           FashionMnist.DistortedSubset(testPixels, testLabelBytes, rows, cols, test, seed + 1), c => names[c], "Fashion-MNIST");
}
