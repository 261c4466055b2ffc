using System.Diagnostics;
using DistortedFashionMnist;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Stn;
using Microsoft.ML.Stn.Network;
using Stn.Datasets;
using Stn.Examples;

CommandLine options;
// The batch size every model trains with, unless --stn sets the STN's own.
const int BatchSize = 64;
// The STN's shared settings after --stn, which may change any of them, for the table's header.
StnClassifyOptions stnShared;
try
{
    options = CommandLine.Parse(args);
    stnShared = new StnClassifyOptions
    {
        Epochs = options.Epochs, BatchSize = BatchSize, LearningRate = options.StnLearningRate,
        LocalisationLearningRate = options.LocalisationLearningRate, LearningRateSchedule = options.Schedule,
    };
    OptionSettings.Apply(stnShared, options.StnSettings);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine(e.Message);
    return 2;
}

Directory.CreateDirectory(options.Output);

DataSource data;
try
{
    data = DataSource.Load(options);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine(e.Message);
    return 2;
}

int canvas = data.Canvas;
Console.WriteLine($"{data.Name}: {options.Train} training, {options.Validation} validation and {options.Test} test images, " +
                  $"{data.Description}. Seeds {options.Seed}–{options.Seed + options.Seeds - 1}.");
if (options.StnSettings.Length > 0)
    Console.WriteLine($"STN options: {options.StnSettings}");

var results = new List<SeedResult>();
for (int seed = options.Seed; seed < options.Seed + options.Seeds; seed++)
{
    var result = RunSeed(seed, first: seed == options.Seed);
    results.Add(result);
    PrintSeed(result);
}

if (options.Seeds > 1)
    PrintSummary(results);
return 0;

SeedResult RunSeed(int seed, bool first)
{
    var ml = new MLContext(seed);
    var (pool, test) = data.Distorted(seed, options.Train + options.Validation, options.Test);
    var trainView = pool.ToDataView(ml, data.ClassName, 0, options.Train);
    var validationView = pool.ToDataView(ml, data.ClassName, options.Train, options.Validation);
    var testView = test.ToDataView(ml, data.ClassName, 0, options.Test);

    TrainedModel? stn = null, baseline = null, oracle = null, perfect = null;
    if (options.Models.Contains("stn"))
        stn = Train(ml, seed, "STN", "STN + CNN", useSpatialTransformer: true, trainView, validationView, testView);
    if (options.Models.Contains("cnn"))
        baseline = Train(ml, seed, "CNN", "CNN (no transformer)", useSpatialTransformer: false, trainView, validationView, testView);
    if (options.Models.Contains("oracle"))
        oracle = TrainCnnOn(ml, seed, "oracle", "oracle (undistorted)", data.Upright(seed, options.Train + options.Validation, options.Test));

    // The oracle's ceiling cannot be reached from distorted images: the distortion cuts off the corners of large,
    // shifted garments and blurs small ones. Warping them back by their known inverse shows what any warp could give.
    if (options.Models.Contains("perfect"))
        perfect = TrainCnnOn(ml, seed, "perfect", "perfect warp (inverse)", DataSource.Undone(pool, test));

    SortedDictionary<int, PoseRatios>? pose = null;
    BoxResult? boxes = null;
    ViewsAlone? viewsAlone = null;
    if (stn is not null)
    {
        // The test images as one tensor, for the views read off them before any learning.
        using var images = TorchSharp.torch.tensor(test.Pixels.AsSpan(0, options.Test * test.ImageLength).ToArray(), [options.Test, test.Channels, canvas, canvas]);
        // Translation alone leaves no rotation or size to undo, so the pose figures are for the RTS set only. They read
        // θ as one 2×3 matrix, and the box metrics one box per image: --stn options with another θ (a projective or
        // thin-plate-spline warp, several transformers) train and score, but go without them.
        var thetas = stn.Scored.GetColumn<float[]>(new StnClassifyOptions().ThetaColumnName).ToList();
        bool oneAffineWarp = thetas[0].Length == 6;
        int transformers = TransformerCount(stn);
        if (!data.Cluttered && oneAffineWarp)
            pose = PoseFigures.PerClass(test.Distortions[..options.Test], test.Labels[..options.Test], thetas, canvas, canvas);
        if (transformers == 1)
            boxes = ScoreBoxes(ml, stn, test, images);
        if (!oneAffineWarp || boxes is null)
            Console.WriteLine($"Seed {seed}: no pose figures{(boxes is null ? " or box metrics" : "")} for θ of {thetas[0].Length} values " +
                              $"from {transformers} transformer(s); they need one 2×3 θ per image.");
        if (first)
            WritePictures(ml, stn, baseline, trainView, test, boxes?.Predicted);
        // How far reading the pose off the ink goes before any learning: the objects' own shapes vary within a class.
        if (pose is not null)
            viewsAlone = ViewsAloneOn(test, images);
    }

    return new SeedResult(seed, stn, baseline, oracle, perfect, pose, viewsAlone, boxes);
}

ViewsAlone ViewsAloneOn(LabelledImages test, TorchSharp.torch.Tensor images)
{
    using var scope = TorchSharp.torch.NewDisposeScope();
    PoseRatios Left(MomentView view)
    {
        var theta = MomentNormalisation.StartTheta(images, TransformKind.Affine, alignCorners: false, view).reshape(options.Test, 6).data<float>().ToArray();
        var thetas = Enumerable.Range(0, options.Test).Select(i => theta[(6 * i)..(6 * i + 6)]).ToList();
        return PoseFigures.MeanOverClasses(test.Distortions[..options.Test], test.Labels[..options.Test], thetas, canvas, canvas);
    }

    return new ViewsAlone(Left(MomentView.InkExtent), Left(MomentView.RadiusOfGyration));
}

BoxResult ScoreBoxes(MLContext ml, TrainedModel stn, LabelledImages test, TorchSharp.torch.Tensor images)
{
    var truth = test.Boxes[..options.Test];
    var predicted = stn.Scored.GetColumn<float[]>(new StnClassifyOptions().BoundingBoxColumnName!).Select(v => Box.FromColumn(v)).ToList();
    var whole = Enumerable.Repeat(Box.WholeImage(canvas, canvas), truth.Length).ToList();
    var labels = test.Labels[..options.Test].Select(data.ClassName).ToList();
    var predictedLabels = stn.Scored.GetColumn<string>("PredictedLabel").ToList();
    var confidences = stn.Scored.GetColumn<float[]>("Score").Select(s => s.Max()).ToList();
    Console.WriteLine("ML.NET's EvaluateObjectDetection prints the next two lines itself (STN box, then whole image):");
    return new BoxResult(predicted, BoxMetrics.Evaluate(predicted, truth), BoxMetrics.Evaluate(whole, truth),
        DetectionMetrics.Evaluate(ml, truth, labels, predicted, predictedLabels, confidences),
        DetectionMetrics.Evaluate(ml, truth, labels, whole, predictedLabels, confidences),
        BoxMetrics.Evaluate(ObjectBoxesAlone(images), truth));
}

// The box that Attention's moment normalisation starts from, read off each test image before any learning.
List<Box> ObjectBoxesAlone(TorchSharp.torch.Tensor images)
{
    using var scope = TorchSharp.torch.NewDisposeScope();
    var theta = MomentNormalisation.StartTheta(images, TransformKind.Attention, alignCorners: false, MomentView.ObjectBox);
    var boxes = BoundingBox.FromTheta(theta, canvas, canvas, canvas, canvas, alignCorners: false).data<float>().ToArray();
    return Enumerable.Range(0, options.Test).Select(i => Box.FromColumn(boxes.AsSpan(4 * i, 4))).ToList();
}

// The classifier without the transformer on other images of the same garments: the pool's first rows train, the rest validate.
TrainedModel TrainCnnOn(MLContext ml, int seed, string tag, string label, (LabelledImages Pool, LabelledImages Test) images) =>
    Train(ml, seed, tag, label, useSpatialTransformer: false,
        images.Pool.ToDataView(ml, data.ClassName, 0, options.Train),
        images.Pool.ToDataView(ml, data.ClassName, options.Train, options.Validation),
        images.Test.ToDataView(ml, data.ClassName, 0, options.Test));

TrainedModel Train(MLContext ml, int seed, string tag, string label, bool useSpatialTransformer,
    IDataView trainView, IDataView validationView, IDataView testView)
{
    // ValidationData must already carry the key-typed label the pipeline's MapValueToKey gives the training data.
    var keyedValidation = ml.Transforms.Conversion.MapValueToKey("Label").Fit(trainView).Transform(validationView);
    var progress = new ProgressLine(tag);
    var stnOptions = new StnClassifyOptions
    {
        LabelColumnName = "Label",
        FeatureColumnName = "Features",
        ImageHeight = canvas,
        ImageWidth = canvas,
        Channels = 1,
        Epochs = options.Epochs,
        BatchSize = BatchSize,
        // The baselines keep Adam's usual rate; the STN's classifier and localisation net have their own.
        LearningRate = useSpatialTransformer ? options.StnLearningRate : 1e-3f,
        LocalisationLearningRate = options.LocalisationLearningRate,
        LearningRateSchedule = options.Schedule,
        UseSpatialTransformer = useSpatialTransformer,
        ValidationData = keyedValidation,
        RectifiedImageColumnName = useSpatialTransformer ? "RectifiedImage" : null,
        Seed = seed,
        NumberOfThreads = options.Threads,
        Progress = progress.Report,
    };
    if (useSpatialTransformer)
        OptionSettings.Apply(stnOptions, options.StnSettings);
    var pipeline = ml.Transforms.Conversion.MapValueToKey("Label")
        .Append(ml.Transforms.StnClassify(stnOptions))
        .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel"));

    var clock = Stopwatch.StartNew();
    var model = pipeline.Fit(trainView);
    var trainingTime = clock.Elapsed;
    var scored = model.Transform(testView);
    var metrics = ml.MulticlassClassification.Evaluate(scored, labelColumnName: "Label", scoreColumnName: "Score");
    return new TrainedModel(label, model, model.OfType<StnClassifyTransformer>().Single(), scored, metrics, trainingTime);
}

void PrintSeed(SeedResult r)
{
    Console.WriteLine();
    string StnOwn<T>(T shared, T stn) => EqualityComparer<T>.Default.Equals(shared, stn) ? "" : $" (STN {stn})";
    Console.WriteLine($"Seed {r.Seed}, test set: {options.Test} images, {options.Epochs} epochs each{StnOwn(options.Epochs, stnShared.Epochs)}, " +
                      $"batch {BatchSize}{StnOwn(BatchSize, stnShared.BatchSize)}, Adam learning rates: " +
                      $"CNN, oracle and perfect warp 0.001, STN classifier {stnShared.LearningRate:G3}, localisation net {stnShared.LocalisationLearningRate:G3}, " +
                      $"schedule {options.Schedule}{StnOwn(options.Schedule, stnShared.LearningRateSchedule)}");
    Console.WriteLine($"{"Model",-26}{"Accuracy",10}{"Macro acc",11}{"Log-loss",10}{"Train time",12}");
    foreach (var run in new[] { r.Stn, r.Baseline, r.Oracle, r.Perfect })
    {
        if (run is null) continue;
        Console.WriteLine($"{run.Name,-26}{run.Metrics.MicroAccuracy,10:P2}{run.Metrics.MacroAccuracy,11:P2}" +
                          $"{run.Metrics.LogLoss,10:F3}{run.TrainingTime.TotalSeconds,11:F1}s");
    }

    if (r.Boxes is { } b)
    {
        Console.WriteLine($"Boxes against the true box (the tight box of the object's own pixels; hit: IoU > {BoxMetrics.HitThreshold}); mAP from ML.NET's " +
                          "EvaluateObjectDetection (box and predicted class must both be right):");
        Console.WriteLine($"  {"box",-28}{"hit rate",10}{"mean IoU",10}{"mAP50",8}{"mAP50-95",10}{"side ratio",12}{"centre error",14}");
        Console.WriteLine($"  {"STN BoundingBox",-28}{b.Stn.HitRate,10:P1}{b.Stn.MeanIoU,10:F3}{b.StnMap.Map50,8:F3}{b.StnMap.Map50To95,10:F3}" +
                          $"{b.Stn.SideRatio,12:F2}{b.Stn.CentreError,14:F2}");
        Console.WriteLine($"  {"whole image (reference)",-28}{b.WholeImage.HitRate,10:P1}{b.WholeImage.MeanIoU,10:F3}" +
                          $"{b.WholeImageMap.Map50,8:F3}{b.WholeImageMap.Map50To95,10:F3}{b.WholeImage.SideRatio,12:F2}{b.WholeImage.CentreError,14:F2}");
        Console.WriteLine($"  {"object's box alone",-28}{b.ObjectBoxAlone.HitRate,10:P1}{b.ObjectBoxAlone.MeanIoU,10:F3}{"",8}{"",10}" +
                          $"{b.ObjectBoxAlone.SideRatio,12:F2}{b.ObjectBoxAlone.CentreError,14:F2}");
        Console.WriteLine("  (side ratio: median √(box area / true area); centre error: median centre distance / √(true area); the object's box alone:");
        Console.WriteLine("  the box that Attention's moment normalisation starts from, read off the test images before any learning)");
    }

    if (r.Pose is null)
    {
        if (r.ErrorRatio is { } ratio)
            Console.WriteLine($"STN error / CNN error: {ratio:F3}");
        return;
    }

    Console.WriteLine("Pose left after the STN's warp, per class (spread after / before; 1 = nothing undone, 0 = all):");
    Console.WriteLine($"  {"class",-14}{"rotation",10}{"size",8}{"position",10}{"(in the input)",16}");
    foreach (var (cls, p) in r.Pose)
        Console.WriteLine($"  {data.ClassName(cls),-14}{p.RotationLeft,10:F2}{p.Size,8:F2}{p.Position,10:F2}{p.PositionInInput,16:F2}");
    var mean = r.MeanPose!.Value;
    Console.WriteLine($"  {"mean",-14}{mean.RotationLeft,10:F2}{mean.Size,8:F2}{mean.Position,10:F2}{mean.PositionInInput,16:F2}");
    if (r.ViewsAlone is { } alone)
    {
        Console.WriteLine("  (the moments' views alone, before any learning: size and position left (in the input) by the ink-extent view " +
                          $"{alone.InkExtent.Size:F2}, {alone.InkExtent.Position:F2} ({alone.InkExtent.PositionInInput:F2}); " +
                          $"by the radius-of-gyration view {alone.RadiusOfGyration.Size:F2}, {alone.RadiusOfGyration.Position:F2} ({alone.RadiusOfGyration.PositionInInput:F2}))");
    }
    Console.WriteLine("  (position: in the rectified image, the goal's measure; in the input: the offset from the view's centre, without the zoom)");
    if (r.Baseline is not null)
        Console.WriteLine($"STN error / CNN error: {r.ErrorRatio:F3}");
}

void PrintSummary(IReadOnlyList<SeedResult> all)
{
    Console.WriteLine();
    Console.WriteLine($"Over {all.Count} seeds ({string.Join(", ", all.Select(r => r.Seed))}): mean ± spread (population standard deviation)");
    void Row(string name, Func<SeedResult, double?> value, string format, string unit = "")
    {
        var values = all.Select(value).OfType<double>().ToList();
        if (values.Count == 0) return;
        string each = string.Join("  ", values.Select(v => v.ToString(format, System.Globalization.CultureInfo.InvariantCulture)));
        Console.WriteLine($"  {name,-30}{values.Average().ToString(format, System.Globalization.CultureInfo.InvariantCulture),9}{unit} ± " +
                          $"{ImageStatistics.Spread(values).ToString(format, System.Globalization.CultureInfo.InvariantCulture)}{unit}   (per seed: {each})");
    }
    Row("STN accuracy %", r => 100 * r.Stn?.Metrics.MicroAccuracy, "F2");
    Row("CNN accuracy %", r => 100 * r.Baseline?.Metrics.MicroAccuracy, "F2");
    Row("oracle accuracy %", r => 100 * r.Oracle?.Metrics.MicroAccuracy, "F2");
    Row("STN gap to oracle (points)", r => r.Stn is null || r.Oracle is null ? null
        : 100 * (r.Oracle.Metrics.MicroAccuracy - r.Stn.Metrics.MicroAccuracy), "F2");
    Row("perfect-warp accuracy %", r => 100 * r.Perfect?.Metrics.MicroAccuracy, "F2");
    Row("STN gap to perfect warp", r => r.Stn is null || r.Perfect is null ? null
        : 100 * (r.Perfect.Metrics.MicroAccuracy - r.Stn.Metrics.MicroAccuracy), "F2");
    Row("STN error / CNN error", r => r.ErrorRatio, "F3");
    Row("STN box hit rate %", r => 100 * r.Boxes?.Stn.HitRate, "F2");
    Row("STN box mean IoU", r => r.Boxes?.Stn.MeanIoU, "F3");
    Row("STN box mAP50", r => r.Boxes?.StnMap.Map50, "F3");
    Row("STN box side ratio", r => r.Boxes?.Stn.SideRatio, "F2");
    Row("STN box centre error", r => r.Boxes?.Stn.CentreError, "F2");
    Row("whole-image hit rate %", r => 100 * r.Boxes?.WholeImage.HitRate, "F2");
    Row("whole-image mean IoU", r => r.Boxes?.WholeImage.MeanIoU, "F3");
    Row("object's box alone hit rate %", r => 100 * r.Boxes?.ObjectBoxAlone.HitRate, "F2");
    Row("rotation left", r => r.MeanPose?.RotationLeft, "F3");
    Row("size spread left", r => r.MeanPose?.Size, "F3");
    Row("size left by the extent alone", r => r.ViewsAlone?.InkExtent.Size, "F3");
    Row("size left by the radius alone", r => r.ViewsAlone?.RadiusOfGyration.Size, "F3");
    Row("position spread left", r => r.MeanPose?.Position, "F3");
    Row("position left in the input", r => r.MeanPose?.PositionInInput, "F3");
    Row("position by the extent alone", r => r.ViewsAlone?.InkExtent.Position, "F3");
    Row("  in the input", r => r.ViewsAlone?.InkExtent.PositionInInput, "F3");
    Row("STN training time", r => r.Stn?.TrainingTime.TotalSeconds, "F1", " s");
    Row("CNN training time", r => r.Baseline?.TrainingTime.TotalSeconds, "F1", " s");
    Row("oracle training time", r => r.Oracle?.TrainingTime.TotalSeconds, "F1", " s");
    Row("perfect-warp training time", r => r.Perfect?.TrainingTime.TotalSeconds, "F1", " s");
}

void WritePictures(MLContext ml, TrainedModel stn, TrainedModel? baseline, IDataView trainView, LabelledImages test, IReadOnlyList<Box>? predicted)
{
    Console.WriteLine();
    const int Shown = 40;
    var inputs = stn.Scored.GetColumn<float[]>("Features").Take(Shown).ToList();
    // With several transformers the rectified image holds one channel per transformer; the sheet shows the first.
    int rectifiedLength = stn.Stn.OutputHeight * stn.Stn.OutputWidth;
    bool several = TransformerCount(stn) > 1;
    var rectified = stn.Scored.GetColumn<float[]>("RectifiedImage").Take(Shown).Select(r => r[..rectifiedLength]).ToList();
    var sheetPath = Path.Combine(options.Output, "rectified.png");
    Png.WriteContactSheet(sheetPath, inputs.Zip(rectified, (a, b) => (a, canvas, b, stn.Stn.OutputHeight)).ToList(), columns: 8, scale: 3,
        boxes: predicted is null ? null : Enumerable.Range(0, inputs.Count).Select(i => (test.Boxes[i], predicted[i])).ToList());
    Console.WriteLine($"Test inputs{(predicted is null ? "" : " with the true (green) and STN (red) boxes")}, left, and STN rectified images" +
                      $"{(several ? " (the first transformer's)" : "")}, right: {sheetPath}");

    var plotPath = Path.Combine(options.Output, "accuracy.png");
    var lines = new List<(string, IReadOnlyList<double>)>
    {
        ("STN training", History(stn, p => p.TrainingAccuracy)),
        ("STN validation", History(stn, p => p.ValidationAccuracy ?? double.NaN)),
    };
    if (baseline is not null)
    {
        lines.Add(("CNN training", History(baseline, p => p.TrainingAccuracy)));
        lines.Add(("CNN validation", History(baseline, p => p.ValidationAccuracy ?? double.NaN)));
    }
    Png.WriteLinePlot(plotPath, $"{(data.Cluttered ? "Cluttered" : "Distorted")} {data.Name}: accuracy by epoch", lines, "epoch", "accuracy");
    Console.WriteLine($"Training and validation accuracy by epoch: {plotPath}");

    var modelPath = Path.Combine(options.Output, "stn-model.zip");
    ml.Model.Save(stn.Model, trainView.Schema, modelPath);
    Console.WriteLine($"Trained STN model: {modelPath}");

    // The same model for ONNX Runtime. Scoring needs no label, so the export leaves out MapValueToKey and takes only the
    // pixels: the graph's one input is Features, its outputs Score, PredictedLabel (the class name), Theta, BoundingBox
    // and RectifiedImage.
    var onnxPath = Path.Combine(options.Output, "stn-model.onnx");
    var exportClock = Stopwatch.StartNew();
    var scoringModel = new TransformerChain<ITransformer>(((IEnumerable<ITransformer>)stn.Model).Skip(1).ToArray());
    using (var onnxFile = File.Create(onnxPath))
        ml.Model.ConvertToOnnx(scoringModel, DataViews.PixelsOnly(ml, canvas * canvas), onnxFile);
    Console.WriteLine($"ONNX model: {onnxPath} ({new FileInfo(onnxPath).Length / 1024.0:F0} KiB, exported in {exportClock.Elapsed.TotalSeconds:F2} s)");
}

// One box (4 values) per transformer in the STN's box column.
static int TransformerCount(TrainedModel stn) =>
    ((VectorDataViewType)stn.Scored.Schema[new StnClassifyOptions().BoundingBoxColumnName!].Type).Size / 4;

static IReadOnlyList<double> History(TrainedModel run, Func<StnTrainingProgress, double> value) =>
    run.Stn.TrainingHistory.Select(value).ToList();

internal sealed record TrainedModel(
    string Name, ITransformer Model, StnClassifyTransformer Stn, IDataView Scored, MulticlassClassificationMetrics Metrics,
    TimeSpan TrainingTime);

internal sealed record BoxResult(IReadOnlyList<Box> Predicted, BoxScores Stn, BoxScores WholeImage,
    (double Map50, double Map50To95) StnMap, (double Map50, double Map50To95) WholeImageMap, BoxScores ObjectBoxAlone);

/// <summary>The pose left by each of the moments' starting views on its own, without the localisation net's corrections.</summary>
internal sealed record ViewsAlone(PoseRatios InkExtent, PoseRatios RadiusOfGyration);

internal sealed record SeedResult(int Seed, TrainedModel? Stn, TrainedModel? Baseline, TrainedModel? Oracle, TrainedModel? Perfect,
    SortedDictionary<int, PoseRatios>? Pose, ViewsAlone? ViewsAlone, BoxResult? Boxes)
{
    public PoseRatios? MeanPose => Pose is null ? null : PoseFigures.Mean(Pose.Values);

    public double? ErrorRatio => Stn is null || Baseline is null ? null
        : (1 - Stn.Metrics.MicroAccuracy) / (1 - Baseline.Metrics.MicroAccuracy);
}
