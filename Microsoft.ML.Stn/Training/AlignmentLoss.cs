using Microsoft.ML.Stn.Network;
using static TorchSharp.torch;

namespace Microsoft.ML.Stn;

/// <summary>
/// Congealing from the class label: 1 − the mean normalised cross-correlation between each rectified image and the
/// mean of the other rectified images of its class in the batch. It pulls the images of a class into one pose, which
/// the classification loss alone stops asking for once the classifier copes with every pose. Correlation, not squared
/// difference, so a warp that reads a blank or uniform patch (no variance) scores nothing and cannot win by collapsing.
/// </summary>
public static class AlignmentLoss
{
    private const double Epsilon = 1e-6;

    /// <summary>The loss of one batch; differentiable with respect to <paramref name="rectified"/>.</summary>
    /// <param name="rectified">The rectified images, [N, ...].</param>
    /// <param name="labels">Class indices, [N], int64.</param>
    /// <param name="classCount">Number of classes.</param>
    /// <returns>A scalar in [0, 2]: 0 when every image correlates perfectly with the rest of its class.</returns>
    public static Tensor Compute(Tensor rectified, Tensor labels, int classCount)
    {
        using var scope = NewDisposeScope();
        var unit = Normalised(rectified.flatten(1));
        var oneHot = nn.functional.one_hot(labels, classCount).to_type(unit.dtype);
        var classSums = oneHot.t().matmul(unit);
        // The rest of each image's class: its class's sum less itself, centred and scaled to unit length again.
        var others = Normalised(oneHot.matmul(classSums) - unit);
        var correlation = (unit * others).sum(1);
        return correlation.mean().SubtractedFrom(1.0).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// How far the boxes reach beyond the input, as a fraction of its sides, summed over the four edges and averaged
    /// over the boxes. Correlation alone rewards zooming out: a small object on a blank field correlates with any other
    /// small object. Beyond the input the sampler reads only padding, so a warp never needs to look there.
    /// </summary>
    /// <param name="boxes">Boxes [N, 4·T] (left, top, right, bottom) in input pixel edges.</param>
    /// <param name="height">Input height.</param>
    /// <param name="width">Input width.</param>
    public static Tensor BeyondInput(Tensor boxes, int height, int width)
    {
        using var scope = NewDisposeScope();
        var edges = boxes.reshape(-1, 4);
        var left = edges[.., 0].negative().relu().DividedBy(width);
        var top = edges[.., 1].negative().relu().DividedBy(height);
        var right = edges[.., 2].Minus(width).relu().DividedBy(width);
        var bottom = edges[.., 3].Minus(height).relu().DividedBy(height);
        return (left.Plus(top).Plus(right).Plus(bottom)).mean().MoveToOuterDisposeScope();
    }

    /// <summary>Each row less its mean, divided by its length (a row without variance stays near zero).</summary>
    private static Tensor Normalised(Tensor rows)
    {
        using var scope = NewDisposeScope();
        var centred = rows - rows.mean([1], keepdim: true);
        var length = centred.norm(1, keepdim: true).Plus(Epsilon);
        return (centred / length).MoveToOuterDisposeScope();
    }
}
