using static TorchSharp.torch;

namespace Microsoft.ML.Stn.Network;

/// <summary>
/// The input region a rectified image shows, as an axis-aligned box: what a spatial transformer trained on class
/// labels alone says about where the object is (the paper's co-localisation reading of the attention transform).
/// </summary>
/// <remarks>
/// Convention: the box is the enclosing box of the rectified image's four outer corners mapped through θ (after the
/// perspective divide for a 3×3 θ), in input pixel-edge coordinates: x from 0 (left edge of column 0) to W (right edge
/// of column W − 1), y from 0 (top edge of row 0) to H. The outer corners are the edges of the corner pixels, not their
/// centres: normalised (±1, ±1) when <c>alignCorners</c> is false, and half a pixel beyond ±1 when it is true (there ±1
/// are the corner pixels' centres). So the identity θ gives (0, 0, W, H) under both conventions.
/// </remarks>
public static class BoundingBox
{
    /// <summary>Boxes of a batch of θ.</summary>
    /// <param name="theta">θ of shape [N, 2, 3] or [N, 3, 3].</param>
    /// <param name="outputHeight">Height H′ of the rectified image.</param>
    /// <param name="outputWidth">Width W′ of the rectified image.</param>
    /// <param name="inputHeight">Height H of the input.</param>
    /// <param name="inputWidth">Width W of the input.</param>
    /// <param name="alignCorners">The grid convention θ was used with.</param>
    /// <returns>[N, 4]: left, top, right, bottom in input pixels.</returns>
    public static Tensor FromTheta(Tensor theta, int outputHeight, int outputWidth, int inputHeight, int inputWidth, bool alignCorners)
    {
        ArgumentNullException.ThrowIfNull(theta);
        GridGenerator.ValidateTheta(theta, -1);
        GridGenerator.ValidateOutputSize(outputHeight, outputWidth);
        using var scope = NewDisposeScope();
        var corners = DeviceConstants.Get("OuterCorners", outputHeight, outputWidth, alignCorners, theta.dtype, theta.device, () =>
        {
            double x = OuterEdge(outputWidth, alignCorners), y = OuterEdge(outputHeight, alignCorners);
            return tensor(new double[] { -x, -y, 1, x, -y, 1, -x, y, 1, x, y, 1 }, [4, 3], theta.dtype);
        });
        var source = corners.unsqueeze(0).matmul(theta.transpose(1, 2));
        if (theta.shape[1] == 3)
            source = source.narrow(2, 0, 2) / source.narrow(2, 2, 1);
        var px = ToPixelEdges(source.select(2, 0), inputWidth, alignCorners);
        var py = ToPixelEdges(source.select(2, 1), inputHeight, alignCorners);
        return stack([px.amin(1), py.amin(1), px.amax(1), py.amax(1)], 1).MoveToOuterDisposeScope();
    }

    /// <summary>Boxes in normalised input coordinates [N, 4] (left, top, right, bottom) in input pixel edges.</summary>
    /// <param name="normalised">The boxes, x and y from −1 to 1 under the <paramref name="alignCorners"/> convention.</param>
    /// <param name="inputHeight">Height H of the input.</param>
    /// <param name="inputWidth">Width W of the input.</param>
    /// <param name="alignCorners">The grid convention.</param>
    public static Tensor ToPixelEdges(Tensor normalised, int inputHeight, int inputWidth, bool alignCorners)
    {
        ArgumentNullException.ThrowIfNull(normalised);
        using var scope = NewDisposeScope();
        // [N, 2, 2]: the (left, top) and (right, bottom) corners; x and y are their first and second coordinates.
        var corners = normalised.view(-1, 2, 2);
        var x = ToPixelEdges(corners.select(2, 0), inputWidth, alignCorners);
        var y = ToPixelEdges(corners.select(2, 1), inputHeight, alignCorners);
        return stack([x.select(1, 0), y.select(1, 0), x.select(1, 1), y.select(1, 1)], 1).MoveToOuterDisposeScope();
    }

    /// <summary>Normalised coordinate of the outer edge of the last pixel of a side of <paramref name="size"/> pixels.</summary>
    internal static double OuterEdge(int size, bool alignCorners) =>
        alignCorners && size > 1 ? 1.0 + 1.0 / (size - 1) : 1.0;

    private static Tensor ToPixelEdges(Tensor normalised, int size, bool alignCorners) => alignCorners
        ? normalised.Plus(1.0).Times((size - 1) / 2.0).Plus(0.5)
        : normalised.Plus(1.0).Times(size / 2.0);
}
