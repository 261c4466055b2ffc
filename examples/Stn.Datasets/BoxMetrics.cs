namespace Stn.Datasets;

/// <summary>How well predicted boxes cover the true ones.</summary>
/// <param name="HitRate">Fraction of images whose predicted box has IoU above <see cref="BoxMetrics.HitThreshold"/> with the true box.</param>
/// <param name="MeanIoU">Mean intersection over union.</param>
/// <param name="Count">Number of images.</param>
/// <param name="SideRatio">
/// Median of √(predicted area / true area): above 1 the boxes are too loose, below 1 too tight, whatever their position.
/// </param>
/// <param name="CentreError">
/// Median distance between the predicted and the true centre, in units of √(true area): 0 for a centred box.
/// </param>
public readonly record struct BoxScores(double HitRate, double MeanIoU, int Count, double SideRatio, double CentreError);

/// <summary>
/// The co-localisation metrics of the spatial transformer paper (Jaderberg et al., 2015, section 4.4): a predicted box
/// is a hit when its IoU with the true box is above 0.5; the hit rate and the mean IoU summarise a set of images.
/// </summary>
public static class BoxMetrics
{
    /// <summary>IoU above which a box counts as a hit.</summary>
    public const double HitThreshold = 0.5;

    /// <summary>Scores predicted boxes against true boxes, image by image.</summary>
    /// <param name="predicted">One predicted box per image; a non-finite box is a miss with IoU 0.</param>
    /// <param name="truth">One true box per image, in the same order.</param>
    public static BoxScores Evaluate(IReadOnlyList<Box> predicted, IReadOnlyList<Box> truth)
    {
        ArgumentNullException.ThrowIfNull(predicted);
        ArgumentNullException.ThrowIfNull(truth);
        if (predicted.Count != truth.Count)
        {
            throw new ArgumentException($"{predicted.Count} predicted boxes for {truth.Count} true boxes.", nameof(predicted));
        }

        if (truth.Count == 0)
        {
            throw new ArgumentException("Box metrics need at least one image.", nameof(truth));
        }

        int hits = 0;
        double sum = 0;
        var sides = new List<double>(truth.Count);
        var centres = new List<double>(truth.Count);
        for (int i = 0; i < truth.Count; i++)
        {
            double iou = Box.IntersectionOverUnion(predicted[i], truth[i]);
            sum += iou;
            if (iou > HitThreshold)
            {
                hits++;
            }

            // A missing prediction or an empty true box has no size or centre to compare; it still counts as a miss above.
            if (predicted[i].IsFinite && truth[i].Area > 0)
            {
                double scale = Math.Sqrt(truth[i].Area);
                sides.Add(Math.Sqrt(predicted[i].Area) / scale);
                double dx = (predicted[i].Left + predicted[i].Right - truth[i].Left - truth[i].Right) / 2.0;
                double dy = (predicted[i].Top + predicted[i].Bottom - truth[i].Top - truth[i].Bottom) / 2.0;
                centres.Add(Math.Sqrt(dx * dx + dy * dy) / scale);
            }
        }

        return new BoxScores((double)hits / truth.Count, sum / truth.Count, truth.Count, Median(sides), Median(centres));
    }

    private static double Median(List<double> values)
    {
        if (values.Count == 0)
        {
            return double.NaN;
        }

        values.Sort();
        int middle = values.Count / 2;
        return values.Count % 2 == 1 ? values[middle] : (values[middle - 1] + values[middle]) / 2;
    }
}
