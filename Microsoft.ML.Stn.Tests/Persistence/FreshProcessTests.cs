using System.Diagnostics;
using Microsoft.ML.Stn.Tests.MLNet;

namespace Microsoft.ML.Stn.Tests.Persistence;

[TestClass]
public sealed class FreshProcessTests
{
    // Float rounding only: the child scores the PredictionEngine route one row a pass and with libtorch's own thread
    // count, and other batch sizes and thread counts may pick other kernel blockings (as in ScoringTests).
    private const double Tolerance = 1e-5;

    private sealed record Scored(float[] Score, float[] Theta, uint PredictedLabel);

    [TestMethod]
    public void FreshProcessWithoutRegistrationScoresIdentically()
    {
        using var folder = new PersistenceFiles.TempFolder();
        var model = PersistenceFiles.SaveTrainedModel(folder);
        var input = folder.File("input.bin");
        var output = folder.File("output.bin");
        var rows = GlyphData.Rows(TrainedModel.TestImages).ToList();
        using (var writer = new BinaryWriter(File.Create(input)))
        {
            writer.Write(rows.Count);
            writer.Write(TrainedModel.TestImages.ImageLength);
            foreach (var row in rows)
            {
                writer.Write(row.Label);
                foreach (float v in row.Features) writer.Write(v);
            }
        }

        var (exitCode, stdout, stderr) = Run(ScorerPath(), model, input, output);
        Assert.AreEqual(0, exitCode, $"FreshProcessScorer failed.\nstderr:\n{stderr}\nstdout:\n{stdout}");

        var expected = TrainedModel.Model.Transform(TrainedModel.TestView);
        var scores = TrainedModel.Vectors(expected, "Score");
        var warps = TrainedModel.Vectors(expected, "Theta");
        var keys = TrainedModel.Keys(expected, "PredictedLabel");
        using var reader = new BinaryReader(File.OpenRead(output));
        foreach (var route in new[] { "Transform", "PredictionEngine" })
        {
            var actual = ReadBlock(reader);
            TrainedModel.AssertSame(scores, actual.Select(r => r.Score).ToArray(), Tolerance, $"{route} Score");
            TrainedModel.AssertSame(warps, actual.Select(r => r.Theta).ToArray(), Tolerance, $"{route} Warp");
            CollectionAssert.AreEqual(keys, actual.Select(r => r.PredictedLabel).ToArray(), $"{route} PredictedLabel");
        }
        Assert.AreEqual(reader.BaseStream.Length, reader.BaseStream.Position, "nothing after the two blocks");
    }

    private static List<Scored> ReadBlock(BinaryReader reader)
    {
        int count = reader.ReadInt32();
        var rows = new List<Scored>(count);
        for (int i = 0; i < count; i++)
        {
            var score = ReadFloats(reader);
            var warp = ReadFloats(reader);
            rows.Add(new Scored(score, warp, reader.ReadUInt32()));
        }
        return rows;
    }

    private static float[] ReadFloats(BinaryReader reader)
    {
        var values = new float[reader.ReadInt32()];
        for (int i = 0; i < values.Length; i++) values[i] = reader.ReadSingle();
        return values;
    }

    /// <summary>
    /// The scorer is built by the test project's build (a non-referencing ProjectReference) into its own bin folder,
    /// with the same configuration as this test assembly.
    /// </summary>
    private static string ScorerPath()
    {
        var testBin = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        string framework = testBin.Name;
        string configuration = testBin.Parent?.Name ?? "Debug";
        for (var dir = testBin; dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "FreshProcessScorer", "bin", configuration, framework, "FreshProcessScorer.dll");
            if (File.Exists(candidate)) return candidate;
            candidate = Path.Combine(dir.FullName, "Microsoft.ML.Stn.Tests", "FreshProcessScorer", "bin", configuration, framework, "FreshProcessScorer.dll");
            if (File.Exists(candidate)) return candidate;
        }
        Assert.Fail($"FreshProcessScorer.dll ({configuration}/{framework}) not found above {AppContext.BaseDirectory}; build the test project.");
        return "";
    }

    private static (int ExitCode, string Stdout, string Stderr) Run(string dll, params string[] args)
    {
        // The dotnet CLI tells child processes which host launched it; fall back to the one on PATH.
        var host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (string.IsNullOrEmpty(host) || !File.Exists(host))
        {
            var current = Environment.ProcessPath;
            host = current is not null && Path.GetFileNameWithoutExtension(current) == "dotnet" ? current : "dotnet";
        }
        var start = new ProcessStartInfo(host)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(dll);
        foreach (var arg in args) start.ArgumentList.Add(arg);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {host}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        // A hang guard, not a timing assertion: a wedged child must not hold the test run forever.
        if (!process.WaitForExit(TimeSpan.FromMinutes(10)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"FreshProcessScorer did not exit.\nstderr:\n{stderr.Result}");
        }
        process.WaitForExit();
        return (process.ExitCode, stdout.Result, stderr.Result);
    }
}
