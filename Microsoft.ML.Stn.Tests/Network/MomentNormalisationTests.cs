using Microsoft.ML.Stn.Network;
using static Microsoft.ML.Stn.Tests.Network.NetworkTestHelpers;
using static TorchSharp.torch;

namespace Microsoft.ML.Stn.Tests.Network;

/// <summary>The moments' starting view: its centre and size from the pixels, and how the transformer composes it.</summary>
[TestClass]
public sealed class MomentNormalisationTests
{
    private const int Side = 40;

    /// <summary>A black canvas with a bright <paramref name="size"/>-pixel square whose top-left pixel is (<paramref name="left"/>, <paramref name="top"/>).</summary>
    private static Tensor Square(int left, int top, int size, int channels = 1)
    {
        var image = zeros(1, channels, Side, Side);
        image[TensorIndex.Colon, TensorIndex.Colon, TensorIndex.Slice(top, top + size), TensorIndex.Slice(left, left + size)] = tensor(200f);
        return image;
    }

    /// <summary>
    /// The view of a filled k×k square: centred on its middle, with a half side of <see cref="MomentNormalisation.ViewRadii"/>
    /// radii of gyration, where each axis of k pixels of width 2/W has a variance of (k² − 1)/12 · (2/W)².
    /// </summary>
    [TestMethod]
    [DataRow(false)]
    [DataRow(true)]
    public void ViewIsCentredOnTheSquareAndSizedByItsRadiusOfGyration(bool alignCorners)
    {
        using var scope = NewDisposeScope();
        int left = 6, top = 17, size = 9;
        double step = alignCorners ? 2.0 / (Side - 1) : 2.0 / Side;
        double Centre(int first) => alignCorners ? -1 + step * (first + (size - 1) / 2.0) : -1 + step * (first + size / 2.0);
        double scale = MomentNormalisation.ViewRadii * Math.Sqrt(2 * (size * size - 1) / 12.0) * step;
        var expected = tensor(new[] { scale, 0, Centre(left), 0, scale, Centre(top) }, dtype: ScalarType.Float32).reshape(1, 2, 3);

        AssertClose(expected, MomentNormalisation.StartTheta(Square(left, top, size), TransformKind.Affine, alignCorners), 1e-5, "affine view");
        AssertClose(expected, MomentNormalisation.StartTheta(Square(left, top, size, channels: 3), TransformKind.Similarity, alignCorners), 1e-5,
            "three equal channels give the same view");
    }

    [TestMethod]
    public void TranslationKeepsTheWholeSizeAndProjectiveGainsTheUnitRow()
    {
        using var scope = NewDisposeScope();
        var image = Square(20, 4, 6);
        var affine = MomentNormalisation.StartTheta(image, TransformKind.Attention, alignCorners: false);
        var translation = MomentNormalisation.StartTheta(image, TransformKind.Translation, alignCorners: false);
        var projective = MomentNormalisation.StartTheta(image, TransformKind.Projective, alignCorners: false);

        var shift = affine[TensorIndex.Colon, TensorIndex.Colon, 2];
        AssertClose(stack([ones(1), zeros(1), shift[TensorIndex.Colon, 0], zeros(1), ones(1), shift[TensorIndex.Colon, 1]], 1).reshape(1, 2, 3), translation, 0,
            "translation: the same centre, no zoom");
        CollectionAssert.AreEqual(new long[] { 1, 3, 3 }, projective.shape);
        AssertClose(affine, projective.narrow(1, 0, 2), 0, "projective: the same view");
        AssertClose(tensor(new float[] { 0, 0, 1 }).reshape(1, 1, 3), projective.narrow(1, 2, 1), 0, "projective: last row");
    }

    [TestMethod]
    public void BlankImageIsViewedWholeAndOnePixelAtTheSmallestSize()
    {
        using var scope = NewDisposeScope();
        var images = cat([zeros(1, 1, Side, Side), Square(30, 10, 1), -Square(5, 5, 10)], 0);
        var theta = MomentNormalisation.StartTheta(images, TransformKind.Affine, alignCorners: false);

        AssertClose(eye(2, 3).unsqueeze(0), theta[0].unsqueeze(0), 0, "a blank image has no centre: the whole input");
        double minimum = MomentNormalisation.MinimumHalfSidePixels / (Side / 2.0);
        AssertClose(tensor(new[] { (float)minimum, 0, 2f * 30.5f / Side - 1, 0, (float)minimum, 2f * 10.5f / Side - 1 }).reshape(1, 2, 3),
            theta[1].unsqueeze(0), 1e-6, "a single pixel: centred on it, at the smallest view");
        AssertClose(eye(2, 3).unsqueeze(0), theta[2].unsqueeze(0), 0, "negative values are no mass");
    }

    /// <summary>Moving and enlarging the object moves and enlarges its view alike.</summary>
    [TestMethod]
    public void ViewFollowsTheObjectsPositionAndSize()
    {
        using var scope = NewDisposeScope();
        var small = MomentNormalisation.StartTheta(Square(4, 4, 6), TransformKind.Affine, alignCorners: false);
        var moved = MomentNormalisation.StartTheta(Square(24, 14, 6), TransformKind.Affine, alignCorners: false);
        var large = MomentNormalisation.StartTheta(Square(4, 4, 12), TransformKind.Affine, alignCorners: false);

        AssertClose(small[TensorIndex.Colon, TensorIndex.Colon, 2] + tensor(new float[] { 40f / Side, 20f / Side }), moved[TensorIndex.Colon, TensorIndex.Colon, 2], 1e-6, "shifted by (20, 10) pixels");
        AssertClose(small[TensorIndex.Colon, 0, 0], moved[TensorIndex.Colon, 0, 0], 1e-6, "same size");
        double ratio = large[0, 0, 0].item<float>() / small[0, 0, 0].item<float>();
        Assert.AreEqual(Math.Sqrt((144 - 1) / 35.0), ratio, 1e-5, "twice the side: the radius of the discrete square grows as √((k² − 1))");
    }

    /// <summary>
    /// A fresh transformer (its localisation head at the identity) warps with the moments' view itself: the net looks at
    /// the view and regresses the identity, which composes to the view.
    /// </summary>
    [TestMethod]
    [DataRow(TransformKind.Affine, 1)]
    [DataRow(TransformKind.Similarity, 2)]
    [DataRow(TransformKind.Projective, 2)]
    public void FreshTransformerWarpsWithTheMomentsView(TransformKind kind, int steps)
    {
        using var scope = NewDisposeScope();
        var input = cat([Square(3, 20, 8), Square(25, 2, 14)], 0);
        using var transformer = new SpatialTransformer(1, Side, Side, 24, 24, kind, refinementSteps: steps, momentNormalisation: true);
        var (theta, rectified) = transformer.forward(input);
        var view = MomentNormalisation.StartTheta(input, kind, alignCorners: false);
        AssertClose(view, theta, 1e-6, "θ is the view");
        AssertClose(SpatialTransformer.Warp(input, view, 24, 24), rectified, 1e-4, "rectified image of the view");
        Assert.IsTrue(transformer.MomentNormalisation);
    }

    [TestMethod]
    public void ThinPlateSplineCannotStartFromTheMoments()
    {
        var e = Assert.Throws<ArgumentException>(() =>
            new SpatialTransformer(1, Side, Side, Side, Side, TransformKind.ThinPlateSpline, momentNormalisation: true));
        Assert.AreEqual("momentNormalisation", e.ParamName);
    }
}
