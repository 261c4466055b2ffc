using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.TorchSharp;
using Stn.Datasets;

namespace DistortedFashionMnist;

/// <summary>
/// ML.NET's object-detection metrics (mAP50, mAP50-95) through <c>EvaluateObjectDetection</c> from Microsoft.ML.TorchSharp
/// 0.23.1, with one true and one predicted box per image.
/// </summary>
/// <remarks>
/// The evaluator reads the columns passed to it (checked in 0.23.1's IL: the getters take the column arguments; the fixed
/// schema positions 2 and 6 were in a pre-merge commit of the pull request only). Two properties of it shape the columns:
/// it takes a box as left, top, right, bottom with right and bottom the last pixel inside (width = right − left + 1), so our
/// pixel-edge boxes are passed with 1 taken off right and bottom, which gives it the same widths and IoU; and the labels
/// are text vectors, one label per box. It matches boxes class by class, so a detection counts only with the right class,
/// ranked by the predicted class's probability. It also writes a line of its own to the console ("total : …, filtered: …").
/// </remarks>
internal static class DetectionMetrics
{
    public static (double Map50, double Map50To95) Evaluate(MLContext ml, IReadOnlyList<Box> truth, IReadOnlyList<string> labels,
        IReadOnlyList<Box> predicted, IReadOnlyList<string> predictedLabels, IReadOnlyList<float> confidences)
    {
        var rows = Enumerable.Range(0, truth.Count).Select(i => new Row
        {
            Label = [labels[i]],
            Box = InclusivePixels(truth[i]),
            PredictedLabel = [predictedLabels[i]],
            PredictedBox = InclusivePixels(predicted[i]),
            Score = [confidences[i]],
        }).ToList();
        var view = ml.Data.LoadFromEnumerable(rows);
        var s = view.Schema;
        var metrics = ml.MulticlassClassification.EvaluateObjectDetection(view, s[nameof(Row.Label)], s[nameof(Row.Box)],
            s[nameof(Row.PredictedLabel)], s[nameof(Row.PredictedBox)], s[nameof(Row.Score)]);
        return (metrics.MAP50, metrics.MAP50_95);
    }

    private static float[] InclusivePixels(Box b) => [b.Left, b.Top, b.Right - 1, b.Bottom - 1];

    private sealed class Row
    {
        public string[] Label { get; set; } = [];

        public float[] Box { get; set; } = [];

        public string[] PredictedLabel { get; set; } = [];

        public float[] PredictedBox { get; set; } = [];

        public float[] Score { get; set; } = [];
    }
}
