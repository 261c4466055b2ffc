using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Text.RegularExpressions;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Stn;
using Stn.Datasets;

namespace Benchmarks;

/// <summary>
/// The device check (<c>--device cuda[:N]</c>; <c>--device cpu</c> runs the same steps on the CPU): training images/s
/// and scoring rows/s on the device, the largest |device − CPU| difference of Score and θ for the same weights, that
/// the saved model does not depend on the device, a batch-size sweep, and, with <c>--mirror</c>, the paired comparison
/// with the PyTorch eager rebuild of the network (../shared/gpu/pytorch_mirror.py) on the same data and batch size. The
/// scoring pair takes its PyTorch side from warm_mirror_scoring.py (beside this file, copied to the output), which times
/// warm passes of the mirror's network as StnClassify's side is timed; the mirror's own scoring figure is one cold pass.
/// </summary>
internal static class GpuCheck
{
    public const string Usage =
        "Usage: Benchmarks --device cuda[:N]|cpu [--train N] [--test N] [--epochs N] [--batch B] [--sweep B,B,...] [--side S]\n" +
        "                  [--repeats N] [--data DIR] [--mirror PATH/pytorch_mirror.py] [--python EXE] [--work DIR]";

    private const int Seed = 1, ScoringBatch = 256;

    public static int Run(string[] args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int i = 0; i + 1 < args.Length; i += 2)
            values[args[i].TrimStart('-')] = args[i + 1];
        if (args.Length % 2 != 0 || values.Keys.Except(["device", "train", "test", "epochs", "batch", "sweep", "side", "repeats",
                "data", "mirror", "python", "work"]).Any())
        {
            Console.Error.WriteLine(Usage);
            return 2;
        }
        int Number(string name, int fallback) =>
            values.TryGetValue(name, out var text) ? int.Parse(text, CultureInfo.InvariantCulture) : fallback;
        string device = values["device"];
        int? gpu = device == "cpu" ? null
            : device == "cuda" ? 0
            : device.StartsWith("cuda:", StringComparison.Ordinal) ? int.Parse(device[5..], CultureInfo.InvariantCulture)
            : throw new ArgumentException($"--device takes cuda, cuda:N or cpu, not '{device}'.");
        int trainCount = Number("train", 10000), testCount = Number("test", 2000), epochs = Number("epochs", 3);
        int batch = Number("batch", 64), side = Number("side", 42), repeats = Number("repeats", 2);
        var sweep = (values.GetValueOrDefault("sweep") ?? "64,128,256,512,1024,2048")
            .Split(',', StringSplitOptions.RemoveEmptyEntries).Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();

        var (train, test, source) = Data(values.GetValueOrDefault("data") ?? FashionMnist.DefaultDirectory, trainCount, testCount, side);
        Console.WriteLine($"Device check on {device}: {trainCount} training and {testCount} test images of {source}, 1×{side}×{side}, " +
                          $"{epochs} epochs, batch {batch}, {Environment.ProcessorCount} cores");
        Console.WriteLine("Reproduce: dotnet run -c Release --project examples/Benchmarks -- " + string.Join(' ', args));
        Console.WriteLine();

        var onDevice = new MLContext(Seed) { GpuDeviceId = gpu, FallbackToCpu = false };
        var onCpu = new MLContext(Seed);
        var trainRaw = View(onDevice, train);
        var keys = onDevice.Transforms.Conversion.MapValueToKey("Label").Fit(trainRaw);
        var trainView = keys.Transform(trainRaw);
        var testView = keys.Transform(View(onDevice, test));

        StnClassifyTransformer Fit(int epochCount, int batchSize, IDataView data) =>
            onDevice.Transforms.StnClassify(new StnClassifyOptions
            {
                ImageHeight = side, ImageWidth = side, Epochs = epochCount, BatchSize = batchSize, Seed = Seed,
                ScoringBatchSize = ScoringBatch,
                // What the PyTorch mirror trains: the classic transformer (one localisation step from the whole input,
                // width 1) on the cross-entropy alone, at one constant rate.
                RefinementSteps = 1, LocalisationWidth = 1, LocalisationWarmupEpochs = 0, AlignmentWeight = 0,
                MomentNormalisation = false, LearningRateSchedule = LearningRateSchedule.Constant,
            }).Fit(data);

        // Warm-up: libtorch's lazy initialisation (and cuDNN's on a GPU) is not timed.
        Fit(1, batch, keys.Transform(View(onDevice, Subset(train, Math.Min(512, trainCount)))));

        // (a) Training, paired with the PyTorch mirror when it is given: ours, then theirs, repeated.
        string? mirror = values.GetValueOrDefault("mirror");
        string python = values.GetValueOrDefault("python") ?? "python3";
        string work = values.GetValueOrDefault("work") ?? Path.Combine(Path.GetTempPath(), "stn-device-check");
        if (mirror is not null)
            WriteMirrorData(work, train, test);
        StnClassifyTransformer model = null!;
        var fitRates = new List<double>();
        var loopRates = new List<double>();
        var mirrorRuns = new List<MirrorResult>();
        for (int r = 0; r < repeats; r++)
        {
            var clock = Stopwatch.StartNew();
            model = Fit(epochs, batch, trainView);
            fitRates.Add((double)trainCount * epochs / clock.Elapsed.TotalSeconds);
            loopRates.Add(LoopRate(model, trainCount));
            if (mirror is not null)
                mirrorRuns.Add(RunMirror(python, mirror, work, gpu is not null, epochs, batch, side));
        }
        Console.WriteLine($"(a) Training, {trainCount} images × {epochs} epochs, batch {batch} (best of {repeats})");
        Console.WriteLine($"    StnClassify Fit, wall:               {fitRates.Max(),8:F0} images/s (reading the IDataView included)");
        Console.WriteLine($"    StnClassify training loop:           {loopRates.Max(),8:F0} images/s (the trainer's epochs)");

        // (b) Batched scoring on the device.
        var scoreRates = new List<double>();
        for (int r = 0; r < 3; r++)
        {
            var clock = Stopwatch.StartNew();
            ReadScores(model.Transform(testView));
            scoreRates.Add(testCount / clock.Elapsed.TotalSeconds);
        }
        Console.WriteLine($"(b) Scoring, {testCount} rows, {ScoringBatch} per forward pass");
        Console.WriteLine($"    Transform + cursor reading Score:    {scoreRates.Max(),8:F0} rows/s");

        if (mirrorRuns.Count > 0)
        {
            var best = new MirrorResult(mirrorRuns.Max(m => m.TrainRate), mirrorRuns.Max(m => m.ScoreRate), mirrorRuns[^1].Accuracy, mirrorRuns[^1].Line);
            var (resident, fromHost) = RunWarmScoring(python, mirror!, work, gpu is not null);
            Console.WriteLine($"    PyTorch eager (pytorch_mirror.py):   {best.TrainRate,8:F0} images/s training, {best.ScoreRate,8:F0} rows/s scoring, one cold pass " +
                              $"(its last line: {best.Line})");
            Console.WriteLine($"    PyTorch eager, warm passes:          {fromHost,8:F0} rows/s with the images sent from host memory, {resident:F0} with them " +
                              "resident on the device (warm_mirror_scoring.py)");
            double trainRatio = loopRates.Max() / best.TrainRate, scoreRatio = scoreRates.Max() / fromHost;
            Console.WriteLine($"    ratio StnClassify / PyTorch: training loop {trainRatio:F3}, Fit wall {fitRates.Max() / best.TrainRate:F3} " +
                              $"(goal ≥ 0.9) {Verdict(trainRatio >= 0.9)}; scoring, against warm passes from host memory, {scoreRatio:F3} " +
                              $"(goal ≥ 0.9) {Verdict(scoreRatio >= 0.9)}; against the mirror's cold pass {scoreRates.Max() / best.ScoreRate:F3}");
        }
        Console.WriteLine();

        // (c) The same weights on the device and on the CPU, and the saved model's independence of the device.
        using var saved = new MemoryStream();
        onDevice.Model.Save(model, trainView.Schema, saved);
        var cpuModel = Load(onCpu, saved);
        var deviceReloaded = Load(onDevice, saved);
        var deviceScored = model.Transform(testView);
        var cpuScored = cpuModel.Transform(testView);
        var (deviceScore, cpuScore) = (Vectors(deviceScored, "Score"), Vectors(cpuScored, "Score"));
        var (deviceTheta, cpuTheta) = (Vectors(deviceScored, "Theta"), Vectors(cpuScored, "Theta"));
        var (deviceLabels, cpuLabels) = (Keys(deviceScored), Keys(cpuScored));
        var truth = Keys(testView, "Label");
        using var resaved = new MemoryStream();
        onCpu.Model.Save(cpuModel, trainView.Schema, resaved);
        bool sameEntry = Entry(saved).AsSpan().SequenceEqual(Entry(resaved));
        bool sameOnDevice = MaxDifference(deviceScore, Vectors(deviceReloaded.Transform(testView), "Score")) == 0;
        Console.WriteLine($"(c) The trained weights on {device} and, loaded from the saved model, on the CPU ({testCount} rows)");
        Console.WriteLine($"    max |{device} − CPU| of Score: {MaxDifference(deviceScore, cpuScore):G3}, of θ: {MaxDifference(deviceTheta, cpuTheta):G3}");
        Console.WriteLine($"    predicted labels equal on {deviceLabels.Zip(cpuLabels).Count(p => p.First == p.Second)} of {testCount} rows; " +
                          $"accuracy {Accuracy(deviceLabels, truth):P2} on {device}, {Accuracy(cpuLabels, truth):P2} on the CPU");
        Console.WriteLine($"    the model entry saved from {device} and re-saved after loading on the CPU is byte-identical: {Verdict(sameEntry)}");
        Console.WriteLine($"    saved and loaded back on {device}, it scores identically there: {Verdict(sameOnDevice)}");
        Console.WriteLine();

        // (d) Where the device saturates: the trainer's images/s by batch size (one epoch after a warm-up epoch).
        Console.WriteLine("(d) Training images/s by batch size (second of two epochs)");
        foreach (int size in sweep)
        {
            var swept = Fit(2, size, trainView);
            Console.WriteLine($"    batch {size,5}: {swept.TrainingHistory[^1].ImagesPerSecond,8:F0} images/s");
        }
        return sameEntry && sameOnDevice ? 0 : 1;
    }

    private static (LabelledImages Train, LabelledImages Test, string Source) Data(string directory, int trainCount, int testCount, int side)
    {
        LabelledImages train, test;
        string source;
        if (FashionMnist.TryFind(directory, out var trainImages, out var trainLabels, out var testImages, out var testLabels))
        {
            var (trainPixels, _, rows, cols) = Idx.ReadImages(trainImages);
            var (testPixels, _, _, _) = Idx.ReadImages(testImages);
            train = FashionMnist.DistortedSubset(trainPixels, Idx.ReadLabels(trainLabels), rows, cols, trainCount, Seed, side);
            test = FashionMnist.DistortedSubset(testPixels, Idx.ReadLabels(testLabels), rows, cols, testCount, Seed + 1, side);
            source = "RTS-distorted Fashion-MNIST";
        }
        else
        {
            train = GlyphDataset.Generate(trainCount, Seed, side, side / 2);
            test = GlyphDataset.Generate(testCount, Seed + 1, side, side / 2);
            source = $"generated glyphs (no Fashion-MNIST in {directory})";
        }
        // Whole grey levels, so that the PyTorch mirror, which reads bytes, sees exactly the same images.
        return (Quantised(train), Quantised(test), source);
    }

    private static LabelledImages Quantised(LabelledImages images) =>
        images with { Pixels = images.Pixels.Select(p => MathF.Round(Math.Clamp(p, 0, 255))).ToArray() };

    private static LabelledImages Subset(LabelledImages images, int count) => images with
    {
        Pixels = images.Pixels[..(count * images.ImageLength)], Labels = images.Labels[..count], Count = count,
        Distortions = images.Distortions[..count], Boxes = images.Boxes[..count],
    };

    private static IDataView View(MLContext ml, LabelledImages images) =>
        images.ToDataView(ml, c => c.ToString(CultureInfo.InvariantCulture));

    /// <summary>Images per second of the trainer's epochs together (each epoch's rate is measured to its last batch).</summary>
    private static double LoopRate(StnClassifyTransformer model, int count) =>
        model.TrainingHistory.Count * (double)count / model.TrainingHistory.Sum(h => count / h.ImagesPerSecond);

    private static ITransformer Load(MLContext ml, MemoryStream stream)
    {
        stream.Position = 0;
        return ml.Model.Load(stream, out _);
    }

    private static byte[] Entry(MemoryStream stream)
    {
        stream.Position = 0;
        using var zip = new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: true);
        using var entry = zip.Entries.Single(e => e.FullName.EndsWith("StnModel.bin", StringComparison.Ordinal)).Open();
        using var copy = new MemoryStream();
        entry.CopyTo(copy);
        return copy.ToArray();
    }

    /// <summary>Cursors the Score column through, as a batch scorer does; the values are not kept.</summary>
    internal static void ReadScores(IDataView scored)
    {
        using var cursor = scored.GetRowCursor(scored.Schema.Where(c => c.Name == "Score"));
        var getter = cursor.GetGetter<VBuffer<float>>(scored.Schema["Score"]);
        var score = default(VBuffer<float>);
        while (cursor.MoveNext())
            getter(ref score);
    }

    private static float[][] Vectors(IDataView view, string column) => view.GetColumn<float[]>(column).ToArray();

    private static uint[] Keys(IDataView view, string column = "PredictedLabel") => view.GetColumn<uint>(column).ToArray();

    private static double Accuracy(uint[] predicted, uint[] truth) =>
        (double)predicted.Zip(truth).Count(p => p.First == p.Second) / truth.Length;

    private static double MaxDifference(float[][] a, float[][] b) =>
        a.Zip(b).Max(rows => rows.First.Zip(rows.Second).Max(v => Math.Abs((double)v.First - v.Second)));

    /// <summary>DIR/{train,test}_{x,y}.bin as pytorch_mirror.py reads them: images and labels as bytes.</summary>
    private static void WriteMirrorData(string directory, LabelledImages train, LabelledImages test)
    {
        Directory.CreateDirectory(directory);
        foreach (var (name, images) in new[] { ("train", train), ("test", test) })
        {
            File.WriteAllBytes(Path.Combine(directory, $"{name}_x.bin"), images.Pixels.Select(p => (byte)p).ToArray());
            File.WriteAllBytes(Path.Combine(directory, $"{name}_y.bin"), images.Labels.Select(l => (byte)l).ToArray());
        }
    }

    private sealed record MirrorResult(double TrainRate, double ScoreRate, double Accuracy, string Line);

    private static MirrorResult RunMirror(string python, string script, string directory, bool cuda, int epochs, int batch, int side)
    {
        var arguments = new List<string> { script, directory, "--epochs", epochs.ToString(CultureInfo.InvariantCulture),
            "--batch", batch.ToString(CultureInfo.InvariantCulture), "--side", side.ToString(CultureInfo.InvariantCulture),
            "--threads", Environment.ProcessorCount.ToString(CultureInfo.InvariantCulture) };
        if (cuda)
            arguments.Add("--cuda");
        var (output, errors, exitCode) = RunPython(python, arguments);
        var line = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault() ?? "";
        var match = Regex.Match(line, @"accuracy ([\d.]+)% .* train (\d+) img/s score (\d+) img/s");
        if (exitCode != 0 || !match.Success)
            throw new InvalidOperationException($"pytorch_mirror.py failed (exit {exitCode}): {line}\n{errors}");
        double Value(int group) => double.Parse(match.Groups[group].Value, CultureInfo.InvariantCulture);
        return new MirrorResult(Value(2), Value(3), Value(1) / 100, line.Trim());
    }

    /// <summary>Warm scoring rows/s of the mirror's network: images resident on the device, and sent from host memory.</summary>
    private static (double Resident, double FromHost) RunWarmScoring(string python, string mirror, string directory, bool cuda)
    {
        string script = Path.Combine(AppContext.BaseDirectory, "warm_mirror_scoring.py");
        var arguments = new List<string> { script, mirror, directory, "--threads", Environment.ProcessorCount.ToString(CultureInfo.InvariantCulture) };
        if (cuda)
            arguments.Add("--cuda");
        var (output, errors, exitCode) = RunPython(python, arguments);
        double Rate(string name)
        {
            var match = Regex.Match(output, $@"warm-scoring {name} (\d+) rows/s");
            return exitCode == 0 && match.Success ? double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture)
                : throw new InvalidOperationException($"warm_mirror_scoring.py failed (exit {exitCode}):\n{output}\n{errors}");
        }
        return (Rate("resident"), Rate("from-host"));
    }

    private static (string Output, string Errors, int ExitCode) RunPython(string python, IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo(python) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"cannot start {python}");
        var errors = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (output, errors.Result, process.ExitCode);
    }

    private static string Verdict(bool met) => met ? "yes" : "NO";
}
