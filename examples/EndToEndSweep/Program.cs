using System.Globalization;
using EndToEndSweep;
using Microsoft.ML.Stn;
using Stn.Examples;

// Runs the end-to-end test scenarios over seeds, so that the tests' thresholds hold across seeds and CPU kernel sets.
// Run it once as is and once with ATEN_CPU_CAPABILITY=avx2 ONEDNN_MAX_CPU_ISA=AVX2 (AVX2-only kernels).
// --stn sets further options of the STN (not of the baseline), to measure a candidate default on the tests' scenarios.
// Usage: EndToEndSweep [--seeds 1,2,3] [--scenarios centring,rotation,colocalisation] [--stn Option=Value,...]
var seeds = new[] { 1, 2, 3 };
var scenarios = new[] { "centring", "rotation", "colocalisation" };
var settings = "";
const string Usage = "Usage: EndToEndSweep [--seeds 1,2,3] [--scenarios centring,rotation,colocalisation] [--stn Option=Value,...]";
if (args.Length % 2 != 0)
{
    Console.Error.WriteLine(Usage);
    return 2;
}
for (int i = 0; i < args.Length; i += 2)
{
    if (args[i] == "--seeds") seeds = args[i + 1].Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
    else if (args[i] == "--scenarios") scenarios = args[i + 1].Split(',');
    else if (args[i] == "--stn") settings = args[i + 1];
    else
    {
        Console.Error.WriteLine(Usage);
        return 2;
    }
}
// Checked before the first run, which may be hours before an unknown name's turn.
if (scenarios.Except(["centring", "rotation", "colocalisation"]).FirstOrDefault() is { } unknown)
{
    Console.Error.WriteLine($"Unknown scenario '{unknown}'. {Usage}");
    return 2;
}
void Configure(StnClassifyOptions options) => OptionSettings.Apply(options, settings);
try
{
    Configure(new StnClassifyOptions());
}
catch (ArgumentException e)
{
    Console.Error.WriteLine(e.Message);
    return 2;
}

Console.WriteLine($"CPU kernels: ATEN_CPU_CAPABILITY={Environment.GetEnvironmentVariable("ATEN_CPU_CAPABILITY") ?? "(default)"}" +
                  (settings.Length > 0 ? $", STN options: {settings}" : ""));
Console.WriteLine($"{"scenario",-10}{"seed",5}{"accuracy",10}{"baseline",10}{"before",9}{"after",9}{"ratio",8}" +
                  $"{"rotation",10}{"size",7}{"position",10}");
foreach (var scenario in scenarios)
{
    foreach (int seed in seeds)
    {
        if (scenario == "colocalisation")
        {
            var boxes = Scenarios.Colocalisation(seed, Configure);
            Console.WriteLine($"{scenario,-10}{seed,5}  box hit rate {boxes.Stn.HitRate:P1}, mean IoU {boxes.Stn.MeanIoU:F3}, " +
                              $"holding the glyph {boxes.Holding:P1} (whole image: {boxes.WholeImage.HitRate:P1}, {boxes.WholeImage.MeanIoU:F3})");
            continue;
        }
        var result = scenario switch
        {
            "centring" => Scenarios.Centring(seed, Configure),
            "rotation" => Scenarios.Rotation(seed, Configure),
            _ => throw new ArgumentException($"unknown scenario '{scenario}'"),
        };
        var pose = result.Pose is { } p ? $"{p.RotationLeft,10:F2}{p.Size,7:F2}{p.Position,10:F2}" : "";
        Console.WriteLine($"{scenario,-10}{seed,5}{result.Accuracy,10:P1}{result.BaselineAccuracy,10:P1}" +
                          $"{result.Before,9:F2}{result.After,9:F2}{result.Ratio,8:F2}{pose}");
    }
}
return 0;
