using System.Diagnostics;
using System.Globalization;
using Benchmarks;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Stn;
using Stn.Datasets;
using static TorchSharp.torch;

if (args.Contains("--device"))
    return GpuCheck.Run(args);

var settings = new Dictionary<string, int>
{
    ["train"] = 4000, ["epochs"] = 3, ["repeats"] = 3, ["score"] = 8000, ["predictions"] = 500, ["batch"] = 64,
};
for (int i = 0; i < args.Length; i += 2)
{
    string name = args[i].TrimStart('-');
    if (!settings.ContainsKey(name) || i + 1 >= args.Length
        || !int.TryParse(args[i + 1], NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) || value < 1)
    {
        Console.Error.WriteLine("Usage: Benchmarks " + string.Join(' ', settings.Keys.Select(k => $"[--{k} N]")) + "\n" + GpuCheck.Usage);
        return 2;
    }
    settings[name] = value;
}

int trainCount = settings["train"], epochs = settings["epochs"], repeats = settings["repeats"];
int scoreCount = settings["score"], predictions = settings["predictions"], batchSize = settings["batch"];
const int Side = 32, Seed = 1, ScoringBatch = 256;
const float LearningRate = 1e-3f;
int classes = Glyphs.ClassCount;
set_num_threads(Environment.ProcessorCount);

Console.WriteLine($"Benchmarks: {trainCount} glyph images 1×{Side}×{Side}, {epochs} epochs, batch {batchSize}, " +
                  $"{repeats} timed repeats (best kept), {Environment.ProcessorCount} torch threads");
Console.WriteLine("Reproduce: dotnet run -c Release --project examples/Benchmarks -- " +
                  string.Join(' ', settings.Select(kv => $"--{kv.Key} {kv.Value}")));
Console.WriteLine();

var ml = new MLContext(Seed);
var training = GlyphDataset.Generate(trainCount, Seed, Side);
var scoring = GlyphDataset.Generate(scoreCount, Seed + 1, Side);
var trainView = Keyed(View(training));
var scoreView = View(scoring);

StnClassifyTransformer FitMLNet(IDataView data, int epochCount) =>
    ml.Transforms.StnClassify(new StnClassifyOptions
    {
        ImageHeight = Side, ImageWidth = Side, Channels = 1, Epochs = epochCount, BatchSize = batchSize,
        LearningRate = LearningRate, Seed = Seed, ScoringBatchSize = ScoringBatch,
        // The plain loop trains the classic network (one localisation step from the whole input, width 1) with the
        // cross-entropy alone and one constant learning rate: the comparison is of the plumbing, not of the recipe.
        AlignmentWeight = 0, RefinementSteps = 1, LocalisationWidth = 1, LocalisationWarmupEpochs = 0, MomentNormalisation = false,
        LearningRateSchedule = LearningRateSchedule.Constant,
    }).Fit(data);

PlainStn FitPlain(LabelledImages data, int epochCount) =>
    PlainTorch.Train(data.Pixels, data.Labels, Side, classes, epochCount, batchSize, LearningRate, Seed);

// (a) Fit time. One short fit of each first, so JIT, libtorch's lazy initialisation and allocator growth are not timed.
var warmup = GlyphDataset.Generate(256, Seed + 2, Side);
FitMLNet(Keyed(View(warmup)), 1);
FitPlain(warmup, 1).Dispose();

var mlnetFits = new List<double>();
var plainFits = new List<double>();
StnClassifyTransformer model = null!;
PlainStn plain = null!;
for (int r = 0; r < repeats; r++)
{
    var clock = Stopwatch.StartNew();
    model = FitMLNet(trainView, epochs);
    mlnetFits.Add(clock.Elapsed.TotalSeconds);

    plain?.Dispose();
    clock.Restart();
    plain = FitPlain(training, epochs);
    plainFits.Add(clock.Elapsed.TotalSeconds);
}

double fitRatio = mlnetFits.Min() / plainFits.Min();
Console.WriteLine("(a) Fit time");
Console.WriteLine($"    StnClassify Fit (IDataView):  {Seconds(mlnetFits)}  best {mlnetFits.Min():F2}s");
Console.WriteLine($"    plain TorchSharp loop:        {Seconds(plainFits)}  best {plainFits.Min():F2}s");
Console.WriteLine($"    ratio ML.NET / plain: {fitRatio:F3}  (goal ≤ 1.10) {Verdict(fitRatio <= 1.10)}");
Console.WriteLine();

// (b) Batched scoring throughput over the same rows and batch size.
var probabilities = new float[scoreCount * classes];
var warp = new float[scoreCount * 6];
ScoreMLNet();
PlainTorch.Score(plain, scoring.Pixels, scoreCount, Side, ScoringBatch, probabilities, warp, classes);
var mlnetRates = new List<double>();
var plainRates = new List<double>();
for (int r = 0; r < Math.Max(3, repeats); r++)
{
    var clock = Stopwatch.StartNew();
    ScoreMLNet();
    mlnetRates.Add(scoreCount / clock.Elapsed.TotalSeconds);
    clock.Restart();
    PlainTorch.Score(plain, scoring.Pixels, scoreCount, Side, ScoringBatch, probabilities, warp, classes);
    plainRates.Add(scoreCount / clock.Elapsed.TotalSeconds);
}

double scoreRatio = mlnetRates.Max() / plainRates.Max();
Console.WriteLine($"(b) Batched scoring, {scoreCount} rows, {ScoringBatch} rows per forward pass");
Console.WriteLine($"    Transform + cursor reading Score: {mlnetRates.Max(),8:F0} rows/s");
Console.WriteLine($"    plain TorchSharp forward:         {plainRates.Max(),8:F0} rows/s");
Console.WriteLine($"    ratio ML.NET / plain: {scoreRatio:F3}  (goal ≥ 0.85) {Verdict(scoreRatio >= 0.85)}");
Console.WriteLine();

// (c) One row at a time through a PredictionEngine, against a batch-of-one forward pass.
var inputDefinition = SchemaDefinition.Create(typeof(FeatureRow));
inputDefinition[nameof(FeatureRow.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, Side * Side);
using var engine = ml.Model.CreatePredictionEngine<FeatureRow, ScoreRow>(model, inputSchemaDefinition: inputDefinition);
var rows = Enumerable.Range(0, Math.Min(predictions, scoreCount)).Select(i => new FeatureRow { Features = scoring.Image(i) }).ToList();
var single = new float[classes];
var singleTheta = new float[6];
foreach (var row in rows.Take(20))
{
    engine.Predict(row);
    PlainTorch.Score(plain, row.Features, 1, Side, 1, single, singleTheta, classes);
}
var engineLatency = new List<double>();
var plainLatency = new List<double>();
foreach (var row in rows)
{
    long start = Stopwatch.GetTimestamp();
    engine.Predict(row);
    engineLatency.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
    start = Stopwatch.GetTimestamp();
    PlainTorch.Score(plain, row.Features, 1, Side, 1, single, singleTheta, classes);
    plainLatency.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
}

Console.WriteLine($"(c) Latency per row, {rows.Count} rows");
Console.WriteLine($"    PredictionEngine.Predict:  {Latency(engineLatency)}");
Console.WriteLine($"    plain forward of 1 row:    {Latency(plainLatency)}");
Console.WriteLine();

// (d) ONNX Runtime on the same model, exported with ConvertToOnnx (pixels in, no label), against the TorchSharp
// transformer: the same rows and batch size for throughput, the same single rows for latency, interleaved.
var featuresOnly = DataViews.PixelsOnly(ml, Side * Side);
var (onnxModel, coldExport) = OnnxScorer.Export(ml, model, featuresOnly);
var (_, warmExport) = OnnxScorer.Export(ml, model, featuresOnly);
using var zip = new MemoryStream();
ml.Model.Save(model, scoreView.Schema, zip);
using var onnx = new OnnxScorer(onnxModel, Side * Side, classes, Environment.ProcessorCount);
var mlnetScores = model.Transform(scoreView).GetColumn<float[]>("Score").ToArray();
onnx.ScoreAll(scoring.Pixels, scoreCount, ScoringBatch, probabilities);
double maxDelta = 0;
int sameLabels = 0;
for (int i = 0; i < scoreCount; i++)
{
    var onnxRow = probabilities.AsSpan(i * classes, classes);
    for (int k = 0; k < classes; k++) maxDelta = Math.Max(maxDelta, Math.Abs(onnxRow[k] - mlnetScores[i][k]));
    if (onnxRow.IndexOf(onnxRow.ToArray().Max()) == Array.IndexOf(mlnetScores[i], mlnetScores[i].Max())) sameLabels++;
}

var onnxRates = new List<double>();
var transformRates = new List<double>();
for (int r = 0; r < Math.Max(3, repeats); r++)
{
    var clock = Stopwatch.StartNew();
    ScoreMLNet();
    transformRates.Add(scoreCount / clock.Elapsed.TotalSeconds);
    clock.Restart();
    onnx.ScoreAll(scoring.Pixels, scoreCount, ScoringBatch, probabilities);
    onnxRates.Add(scoreCount / clock.Elapsed.TotalSeconds);
}

foreach (var row in rows.Take(20))
    onnx.Score(row.Features, 0, 1, single);
var onnxLatency = new List<double>();
var predictLatency = new List<double>();
foreach (var row in rows)
{
    long start = Stopwatch.GetTimestamp();
    engine.Predict(row);
    predictLatency.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
    start = Stopwatch.GetTimestamp();
    onnx.Score(row.Features, 0, 1, single);
    onnxLatency.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
}

double onnxThroughput = onnxRates.Max() / transformRates.Max();
double onnxLatencyRatio = onnxLatency.Average() / predictLatency.Average();
Console.WriteLine($"(d) ONNX Runtime ({Environment.ProcessorCount} intra-op threads) against the TorchSharp transformer, same model");
Console.WriteLine($"    export: {onnxModel.Length / 1024.0:F0} KiB (ML.NET zip {zip.Length / 1024.0:F0} KiB), " +
                  $"ConvertToOnnx {coldExport:F2} s first call, {warmExport:F2} s second");
Console.WriteLine($"    agreement on {scoreCount} rows: max |ΔScore| {maxDelta:E1}, same predicted class {sameLabels}/{scoreCount}");
Console.WriteLine($"    batched, {ScoringBatch} rows per run: ONNX Runtime {onnxRates.Max(),8:F0} rows/s, Transform {transformRates.Max(),8:F0} rows/s");
Console.WriteLine($"    ratio ONNX Runtime / TorchSharp: {onnxThroughput:F3}  (goal ≥ 1.0) {Verdict(onnxThroughput >= 1.0)}");
Console.WriteLine($"    InferenceSession.Run of 1 row:  {Latency(onnxLatency)}");
Console.WriteLine($"    PredictionEngine.Predict:      {Latency(predictLatency)}");
Console.WriteLine($"    latency ratio ONNX Runtime / TorchSharp (means): {onnxLatencyRatio:F3}  (goal ≤ 0.5) {Verdict(onnxLatencyRatio <= 0.5)}");
Console.WriteLine();

// (e) Memory. libtorch allocates natively, so only the working set sees the tensors; the GC numbers are the managed side.
var gc = GC.GetGCMemoryInfo();
using var process = Process.GetCurrentProcess();
Console.WriteLine("(e) Memory");
Console.WriteLine($"    peak working set:         {process.PeakWorkingSet64 / 1048576.0,8:F0} MiB");
Console.WriteLine($"    current working set:      {process.WorkingSet64 / 1048576.0,8:F0} MiB");
Console.WriteLine($"    managed heap after last GC: {gc.HeapSizeBytes / 1048576.0,6:F0} MiB");
Console.WriteLine($"    managed bytes allocated:  {GC.GetTotalAllocatedBytes() / 1048576.0,8:F0} MiB, " +
                  $"GCs gen0/1/2 {GC.CollectionCount(0)}/{GC.CollectionCount(1)}/{GC.CollectionCount(2)}");
plain.Dispose();
return 0;

void ScoreMLNet() => GpuCheck.ReadScores(model.Transform(scoreView));

IDataView Keyed(IDataView view) => ml.Transforms.Conversion.MapValueToKey("Label").Fit(view).Transform(view);

IDataView View(LabelledImages images) => images.ToDataView(ml, Glyphs.Name);

static string Seconds(List<double> values) => string.Join(", ", values.Select(v => v.ToString("F2", CultureInfo.InvariantCulture) + "s"));

static string Verdict(bool met) => met ? "met" : "NOT met";

static string Latency(List<double> ms)
{
    var sorted = ms.Order().ToArray();
    double Percentile(double p) => sorted[Math.Min(sorted.Length - 1, (int)(p * sorted.Length))];
    return $"mean {ms.Average():F3} ms, p50 {Percentile(0.50):F3} ms, p95 {Percentile(0.95):F3} ms, p99 {Percentile(0.99):F3} ms";
}

internal sealed class FeatureRow
{
    public float[] Features { get; set; } = [];
}

internal sealed class ScoreRow
{
    public float[] Score { get; set; } = [];
}
