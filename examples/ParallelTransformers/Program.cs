using System.Diagnostics;
using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Stn;
using Stn.Datasets;
using Stn.Examples;

// One spatial transformer against two, with the same classifier, data and training budget, on glyph sums: two glyphs,
// each independently rotated, scaled and shifted within its half of an H×2H canvas, labelled a + b.
// Usage: ParallelTransformers [--train N] [--test N] [--epochs N] [--seeds N] [--transform KIND] [--height H] [--glyph SIDE]
//        [--output SIDE] [--classes GLYPH_CLASSES] [--counts 0,1,2] [--localisation-lr RATE] [--alignment WEIGHT]
//        [--stn Option=Value,...] (further StnClassifyOptions of every model)
string[] known = ["train", "test", "epochs", "seeds", "transform", "height", "glyph", "output", "classes", "counts", "localisation-lr", "alignment", "stn"];
var values = new Dictionary<string, string>(StringComparer.Ordinal);
for (int i = 0; i < args.Length; i += 2)
{
    // A misspelt option would otherwise run the whole comparison on the defaults.
    if (!args[i].StartsWith("--", StringComparison.Ordinal) || !known.Contains(args[i][2..]) || i + 1 >= args.Length)
    {
        Console.Error.WriteLine($"Unexpected argument '{args[i]}' (options: {string.Join(' ', known.Select(k => $"--{k}"))}, each with a value).");
        return 2;
    }
    values[args[i][2..]] = args[i + 1];
}
int Number(string name, int fallback) =>
    values.TryGetValue(name, out var text) ? int.Parse(text, CultureInfo.InvariantCulture) : fallback;

// The defaults make one transformer too few: a 12×12 view of the whole 32×64 canvas leaves each 16-pixel glyph about
// 3 pixels wide, while two views can each hold one glyph at 12 of its 16 pixels. On a 24×48 canvas with 16×16 views
// one transformer read both glyphs well enough (5.0 % error after 20 epochs, two: 5.2 %), and after 6 epochs every
// model was still learning the sums.
int trainCount = Number("train", 3000), testCount = Number("test", 1000), epochs = Number("epochs", 20), seeds = Number("seeds", 1);
int height = Number("height", 32), glyph = Number("glyph", 16), side = Number("output", 12), classes = Number("classes", 4);
var kind = Enum.Parse<TransformKind>(values.GetValueOrDefault("transform", nameof(TransformKind.Affine)));
var counts = values.GetValueOrDefault("counts", "0,1,2").Split(',').Select(c => int.Parse(c, CultureInfo.InvariantCulture)).ToArray();
float? localisationRate = values.TryGetValue("localisation-lr", out var rate) ? float.Parse(rate, CultureInfo.InvariantCulture) : null;
float? alignmentWeight = values.TryGetValue("alignment", out var weight) ? float.Parse(weight, CultureInfo.InvariantCulture) : null;

Console.WriteLine($"Glyph sums: {trainCount} training and {testCount} test images of {height}×{2 * height} ({glyph}-pixel glyphs of {classes} classes, labels 0–{2 * classes - 2}), {epochs} epochs, transform {kind}, " +
                  $"rectified images {side}×{side} per transformer, {seeds} seed(s).");
if (values.GetValueOrDefault("stn", "") is { Length: > 0 } stnSettings)
    Console.WriteLine($"Options: {stnSettings}");
var results = new Dictionary<int, List<(double Error, double Seconds)>>();
for (int seed = 1; seed <= seeds; seed++)
{
    var train = GlyphPairDataset.Generate(trainCount, seed: 1000 + seed, height, glyph, maxShiftPixels: height / 6.0, glyphClasses: classes).Images;
    var test = GlyphPairDataset.Generate(testCount, seed: 2000 + seed, height, glyph, maxShiftPixels: height / 6.0, glyphClasses: classes).Images;
    foreach (int count in counts)
    {
        var ml = new MLContext(seed);
        var options = new StnClassifyOptions
        {
            ImageHeight = train.Height,
            ImageWidth = train.Width,
            OutputHeight = side,
            OutputWidth = side,
            Transform = kind,
            UseSpatialTransformer = count > 0,
            TransformerCount = Math.Max(1, count),
            Epochs = epochs,
            LocalisationLearningRate = localisationRate,
            AlignmentWeight = alignmentWeight,
            Seed = seed,
        };
        OptionSettings.Apply(options, values.GetValueOrDefault("stn", ""));
        var pipeline = ml.Transforms.Conversion.MapValueToKey("Label").Append(ml.Transforms.StnClassify(options));
        var clock = Stopwatch.StartNew();
        var model = pipeline.Fit(train.ToDataView(ml, GlyphPairDataset.Name));
        double seconds = clock.Elapsed.TotalSeconds;
        var scored = model.Transform(test.ToDataView(ml, GlyphPairDataset.Name));
        var metrics = ml.MulticlassClassification.Evaluate(scored);
        double error = 1 - metrics.MicroAccuracy;
        string split = count > 1 ? $", {Views(scored, count, test.Width)}" : "";
        Console.WriteLine($"  seed {seed}, {Name(count),-28} error {error,7:P2}, training {seconds,6:F1} s{split}");
        if (!results.TryGetValue(count, out var list)) results[count] = list = [];
        list.Add((error, seconds));
    }
}

Console.WriteLine();
Console.WriteLine($"{"model",-30}{"test error (mean)",18}{"min–max",18}{"training time",15}");
foreach (var (count, list) in results)
{
    Console.WriteLine($"{Name(count),-30}{list.Average(r => r.Error),18:P2}" +
                      $"{$"{list.Min(r => r.Error):P2}–{list.Max(r => r.Error):P2}",18}{list.Average(r => r.Seconds),14:F1}s");
}
if (results.TryGetValue(1, out var one) && results.TryGetValue(2, out var two))
    Console.WriteLine($"\nTwo transformers / one: error ratio {two.Average(r => r.Error) / one.Average(r => r.Error):F3} (goal ≤ 0.5).");
return 0;

// Where the transformers look: how often their boxes are centred in different halves of the canvas (one on each glyph's
// half), and how wide the boxes are against the canvas (a view of one glyph is at most about half of it).
static string Views(IDataView scored, int count, int width)
{
    var boxes = scored.GetColumn<float[]>(new StnClassifyOptions().BoundingBoxColumnName!).ToList();
    int split = boxes.Count(b =>
    {
        var left = Enumerable.Range(0, count).Select(t => (b[4 * t] + b[4 * t + 2]) / 2 < width / 2f).ToList();
        return left.Contains(true) && left.Contains(false);
    });
    var widths = boxes.SelectMany(b => Enumerable.Range(0, count).Select(t => (b[4 * t + 2] - b[4 * t]) / width)).Order().ToList();
    return $"boxes centred in different halves {(double)split / boxes.Count:P1}, median box width {widths[widths.Count / 2]:F2} of the canvas";
}

static string Name(int count) => count switch
{
    0 => "CNN (no transformer)",
    1 => "1 spatial transformer",
    _ => $"{count} spatial transformers",
};
