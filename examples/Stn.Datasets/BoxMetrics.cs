namespace Stn.Datasets;

/// <summary>How well predicted boxes cover the true ones.</summary>
/// <param name="HitRate">Fraction of images whose predicted box has IoU above <see cref="BoxMetrics.HitThreshold"/> with the true box.</param>
/// <param name="MeanIoU">Mean intersection over union.</param>
/// <param name="Count">Number of images.</param>
public readonly record struct BoxScores(double HitRate, double MeanIoU, int Count);

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
        for (int i = 0; i < truth.Count; i++)
        {
            double iou = Box.IntersectionOverUnion(predicted[i], truth[i]);
            sum += iou;
            if (iou > HitThreshold)
            {
                hits++;
            }
        }

        return new BoxScores((double)hits / truth.Count, sum / truth.Count, truth.Count);
    }
}
