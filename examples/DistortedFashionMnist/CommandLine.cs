using System.Globalization;
using Microsoft.ML.Stn;

namespace DistortedFashionMnist;

/// <summary>The run's settings, from <c>--name value</c> pairs.</summary>
internal sealed record CommandLine(string Data, int Train, int Validation, int Test, int Epochs, string Output, int Seed, string DataDirectory,
    float StnLearningRate, float LocalisationLearningRate, LearningRateSchedule Schedule, int Seeds, IReadOnlySet<string> Models,
    string StnSettings, int? Threads)
{
    public const string Usage =
        "Usage: DistortedFashionMnist [--data rts|cluttered] [--train N] [--validation N] [--test N] [--epochs N] [--output DIR]\n" +
        "       [--seed N] [--data-dir DIR]\n" +
        "       [--stn-lr RATE] [--localisation-lr RATE] [--schedule constant|step|cosine] [--seeds N] [--models stn,cnn,oracle,perfect] [--stn Option=Value,...] [--threads N]\n" +
        "  --data        rts: rotated, scaled and shifted on 42×42 (default); cluttered: translated on 60×60 with 6×6 clutter\n" +
        "  --data-dir    folder of the Fashion-MNIST IDX files (generated glyphs when they are not there)\n" +
        "  --schedule    every model's learning-rate schedule (default: the library's)\n" +
        "  --seeds N     runs seeds seed … seed+N−1 (data distortion and training) and prints mean and spread over them\n" +
        "  --models      which of the four models to train (default all); perfect: the CNN on the distorted images warped back\n" +
        "                by their exact inverse\n" +
        "  --stn         further StnClassifyOptions of the STN, e.g. --stn Epochs=8,LearningRateSchedule=Cosine";

    public static readonly string[] AllModels = ["stn", "cnn", "oracle", "perfect"];

    public static readonly string[] DataSets = ["rts", "cluttered"];

    public static CommandLine Parse(string[] args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] is "-h" or "--help")
                throw new ArgumentException(Usage);
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
                throw new ArgumentException($"Unexpected argument '{args[i]}'.\n{Usage}");
            values[args[i][2..]] = args[++i];
        }

        int Number(string name, int fallback, int minimum)
        {
            if (!values.Remove(name, out var text))
                return fallback;
            if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) || value < minimum)
                throw new ArgumentException($"--{name} needs an integer of at least {minimum}, got '{text}'.");
            return value;
        }

        string Text(string name, string fallback) => values.Remove(name, out var text) ? text : fallback;

        float Rate(string name, float fallback)
        {
            if (!values.Remove(name, out var text))
                return fallback;
            if (!float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out float value) || !(value > 0))
                throw new ArgumentException($"--{name} needs a positive number, got '{text}'.");
            return value;
        }

        // 10 000 training images, the size at which the learning issue measured the warp. With 6 000 (the default before)
        // the STN's gap to the oracle was within a seed's noise of the goal; the extra images gain it twice what they gain
        // the oracle, whose garments are already posed (README).
        int train = Number("train", 10000, 20);
        var models = Text("models", string.Join(",", AllModels)).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .ToHashSet(StringComparer.Ordinal);
        if (models.Count == 0 || models.Except(AllModels).FirstOrDefault() is { } unknown)
            throw new ArgumentException($"--models takes a comma-separated subset of {string.Join(", ", AllModels)}.\n{Usage}");
        int threads = Number("threads", 0, 0);
        var data = Text("data", "rts");
        if (!DataSets.Contains(data))
            throw new ArgumentException($"--data takes rts or cluttered, got '{data}' (the Fashion-MNIST folder is --data-dir).\n{Usage}");
        var defaults = new StnClassifyOptions();
        var scheduleText = Text("schedule", defaults.LearningRateSchedule.ToString());
        if (!Enum.TryParse<LearningRateSchedule>(scheduleText, ignoreCase: true, out var schedule) || !Enum.IsDefined(schedule))
            throw new ArgumentException($"--schedule takes {string.Join(", ", Enum.GetNames<LearningRateSchedule>())}, got '{scheduleText}'.\n{Usage}");
        var result = new CommandLine(
            data,
            train,
            Number("validation", Math.Max(10, train / 10), 10),
            Number("test", 2000, 10),
            Number("epochs", 15, 1),
            Path.GetFullPath(Text("output", "output")),
            Number("seed", 1, 0),
            Text("data-dir", Stn.Datasets.FashionMnist.DefaultDirectory),
            Rate("stn-lr", defaults.LearningRate),
            Rate("localisation-lr", 1e-3f),
            schedule,
            Number("seeds", 1, 1),
            models,
            Text("stn", ""),
            threads > 0 ? threads : null);
        if (values.Count > 0)
            throw new ArgumentException($"Unknown option --{values.Keys.First()}.\n{Usage}");
        return result;
    }
}
