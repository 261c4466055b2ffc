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

    /// <summary>Each row less its mean, divided by its length (a row without variance stays near zero).</summary>
    private static Tensor Normalised(Tensor rows)
    {
        using var scope = NewDisposeScope();
        var centred = rows - rows.mean([1], keepdim: true);
        var length = centred.norm(1, keepdim: true).Plus(Epsilon);
        return (centred / length).MoveToOuterDisposeScope();
    }
}
