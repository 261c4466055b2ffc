using Microsoft.ML.Stn.Network;
using static Microsoft.ML.Stn.Tests.Network.NetworkTestHelpers;
using static TorchSharp.torch;

namespace Microsoft.ML.Stn.Tests.Network;

/// <summary>The moments' starting views: their centre and size from the pixels, and how the transformer composes them.</summary>
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

    /// <summary>A black canvas with a one-pixel-high horizontal bar over columns [<paramref name="left"/>, <paramref name="right"/>] of row <paramref name="row"/>, brighter to the right.</summary>
    private static Tensor Bar(int left, int right, int row)
    {
        var image = zeros(1, 1, Side, Side);
        for (int x = left; x <= right; x++)
            image[0, 0, row, x] = tensor(x - left + 30f);
        return image;
    }

    private static double Step(bool alignCorners) => alignCorners ? 2.0 / (Side - 1) : 2.0 / Side;

    private static double Coordinate(double pixel, bool alignCorners) => alignCorners ? -1 + Step(true) * pixel : -1 + Step(false) * (pixel + 0.5);

    /// <summary>
    /// The radius-of-gyration view of a filled k×k square: centred on its middle, with a half side of <see cref="MomentNormalisation.ViewRadii"/>
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

        AssertClose(expected, MomentNormalisation.StartTheta(Square(left, top, size), TransformKind.Affine, alignCorners, MomentView.RadiusOfGyration), 1e-5, "affine view");
        AssertClose(expected, MomentNormalisation.StartTheta(Square(left, top, size, channels: 3), TransformKind.Similarity, alignCorners, MomentView.RadiusOfGyration), 1e-5,
            "three equal channels give the same view");
    }

    /// <summary>
    /// The ink-extent view of a bar that is brighter at one end: centred on the middle of the bar, not on its centre of
    /// mass, with a half side of <see cref="MomentNormalisation.ViewMargin"/> halves of its length between pixel centres.
    /// </summary>
    [TestMethod]
    [DataRow(false)]
    [DataRow(true)]
    public void ExtentViewIsCentredOnTheMiddleOfTheInkAndSizedByItsLength(bool alignCorners)
    {
        using var scope = NewDisposeScope();
        int left = 5, right = 30, row = 12;
        double scale = MomentNormalisation.ViewMargin * (right - left) * Step(alignCorners) / 2;
        var expected = tensor(new[] { scale, 0, Coordinate((left + right) / 2.0, alignCorners), 0, scale, Coordinate(row, alignCorners) },
            dtype: ScalarType.Float32).reshape(1, 2, 3);

        var theta = MomentNormalisation.StartTheta(Bar(left, right, row), TransformKind.Affine, alignCorners);
        AssertClose(expected, theta, 1e-5, "extent view");
        var centreOfMass = MomentNormalisation.StartTheta(Bar(left, right, row), TransformKind.Affine, alignCorners, MomentView.RadiusOfGyration);
        Assert.IsGreaterThan(theta[0, 0, 2].item<float>() + 0.05f, centreOfMass[0, 0, 2].item<float>(), "the brighter end pulls the centre of mass, not the view");
    }

    /// <summary>
    /// A diagonal stroke is measured along its own axis: the view's half side is that of its length (√2 times its width
    /// in pixels), the same at any turn, and its centre is the stroke's middle.
    /// </summary>
    [TestMethod]
    public void ExtentIsMeasuredAlongTheInksPrincipalAxis()
    {
        using var scope = NewDisposeScope();
        var falling = zeros(1, 1, Side, Side);
        var rising = zeros(1, 1, Side, Side);
        for (int i = 0; i < 20; i++)
        {
            falling[0, 0, 8 + i, 6 + i] = tensor(100f);
            rising[0, 0, 27 - i, 6 + i] = tensor(100f);
        }

        double scale = MomentNormalisation.ViewMargin * 19 * Math.Sqrt(2) * Step(false) / 2;
        var expected = tensor(new[] { scale, 0, Coordinate(15.5, false), 0, scale, Coordinate(17.5, false) }, dtype: ScalarType.Float32).reshape(1, 2, 3);
        AssertClose(expected, MomentNormalisation.StartTheta(falling, TransformKind.Affine, alignCorners: false), 1e-5, "falling stroke");
        AssertClose(expected, MomentNormalisation.StartTheta(rising, TransformKind.Affine, alignCorners: false), 1e-5, "rising stroke");
    }

    /// <summary>Pixels fainter than <see cref="MomentNormalisation.InkFraction"/> of the brightest are no part of the extent.</summary>
    [TestMethod]
    public void FaintPixelsAreNotInk()
    {
        using var scope = NewDisposeScope();
        var image = Bar(8, 28, 20);
        var withHaze = image.clone();
        float faint = 50f * MomentNormalisation.InkFraction * 0.9f;
        withHaze[0, 0, 20, 1] = tensor(faint);
        withHaze[0, 0, 20, 38] = tensor(faint);
        var clean = MomentNormalisation.StartTheta(image, TransformKind.Affine, alignCorners: false);
        AssertClose(clean, MomentNormalisation.StartTheta(withHaze, TransformKind.Affine, alignCorners: false), 1e-6, "the same view");
        withHaze[0, 0, 20, 38] = tensor(faint * 1.2f);
        Assert.IsGreaterThan(clean[0, 0, 0].item<float>() * 1.2f, MomentNormalisation.StartTheta(withHaze, TransformKind.Affine, alignCorners: false)[0, 0, 0].item<float>(),
            "a pixel just above the fraction is ink");
    }

    /// <summary>
    /// The object's box: a 16×8 rectangle (the object) and two 3×3 crops of clutter apart from it, one brighter than the
    /// object. The box frames the rectangle alone, a half side per axis between its outer pixel centres, for both corner
    /// conventions, while the ink-extent view spans the clutter too.
    /// </summary>
    [TestMethod]
    [DataRow(false)]
    [DataRow(true)]
    public void ObjectBoxFramesTheObjectAndNotTheClutterApartFromIt(bool alignCorners)
    {
        using var scope = NewDisposeScope();
        var image = zeros(1, 1, Side, Side);
        image[0, 0, 20..28, 10..26] = tensor(120f);
        image[0, 0, 2..5, 2..5] = tensor(250f);
        image[0, 0, 33..36, 34..37] = tensor(90f);
        double step = Step(alignCorners);
        var expected = tensor(new[]
        {
            MomentNormalisation.ViewMargin * 15 * step / 2, 0, Coordinate(17.5, alignCorners),
            0, MomentNormalisation.ViewMargin * 7 * step / 2, Coordinate(23.5, alignCorners),
        }, dtype: ScalarType.Float32).reshape(1, 2, 3);
        AssertClose(expected, MomentNormalisation.StartTheta(image, TransformKind.Attention, alignCorners, MomentView.ObjectBox), 1e-5, "the object's box");
        var extent = MomentNormalisation.StartTheta(image, TransformKind.Attention, alignCorners, MomentView.InkExtent);
        Assert.IsGreaterThan(0.8f, extent[0, 0, 0].item<float>(), "the ink's extent spans the clutter");
    }

    /// <summary>
    /// The object is the ink that a path of ink (diagonal steps too) joins to the densest part: a hook of one-pixel
    /// strokes joined only at a corner stays whole, and a gap of one dark pixel parts a stroke from it. A translation
    /// keeps the box's middle and the whole size; a projective θ gains the unit row.
    /// </summary>
    [TestMethod]
    public void ObjectIsTheInkJoinedToItsDensestPart()
    {
        using var scope = NewDisposeScope();
        var image = zeros(1, 1, Side, Side);
        image[0, 0, 10..22, 10..22] = tensor(100f);
        for (int i = 0; i < 8; i++)
            image[0, 0, 22 + i, 22 + i] = tensor(100f);
        image[0, 0, 31, 10..30] = tensor(100f);
        var theta = MomentNormalisation.StartTheta(image, TransformKind.Affine, alignCorners: false, MomentView.ObjectBox);
        double half = MomentNormalisation.ViewMargin * 19 * Step(false) / 2;
        AssertClose(tensor(new[] { half, Coordinate(19.5, false), half, Coordinate(19.5, false) }, dtype: ScalarType.Float32),
            stack([theta[0, 0, 0], theta[0, 0, 2], theta[0, 1, 1], theta[0, 1, 2]]), 1e-5, "the square and its diagonal tail, not the bar below the gap");
        var shift = MomentNormalisation.StartTheta(image, TransformKind.Translation, alignCorners: false, MomentView.ObjectBox);
        AssertClose(tensor(new[] { 1f, 0, (float)Coordinate(19.5, false), 0, 1, (float)Coordinate(19.5, false) }).reshape(1, 2, 3), shift, 1e-5, "translation");
        var projective = MomentNormalisation.StartTheta(image, TransformKind.Projective, alignCorners: false, MomentView.ObjectBox);
        AssertClose(theta, projective[.., ..2, ..], 0, "the same box");
        AssertClose(tensor(new[] { 0f, 0, 1 }).reshape(1, 1, 3), projective[.., 2.., ..], 0, "the unit row");
    }

    /// <summary>The densest window, not the brightest pixel, marks the object: a bright, thin stroke loses to a dim, solid body.</summary>
    [TestMethod]
    public void DensestWindowMarksTheObject()
    {
        using var scope = NewDisposeScope();
        var image = zeros(1, 1, Side, Side);
        image[0, 0, 24..36, 20..32] = tensor(60f);
        image[0, 0, 4, 2..18] = tensor(255f);
        var theta = MomentNormalisation.StartTheta(image, TransformKind.Attention, alignCorners: false, MomentView.ObjectBox);
        AssertClose(tensor(new[] { (float)(MomentNormalisation.ViewMargin * 11 * Step(false) / 2), (float)Coordinate(25.5, false), (float)Coordinate(29.5, false) }),
            stack([theta[0, 0, 0], theta[0, 0, 2], theta[0, 1, 2]]), 1e-5, "the body's box");
    }

    /// <summary>A correction keeps the view's scale: its 2×2 part gets unit determinant, its shift and a homography's last row stay.</summary>
    [TestMethod]
    public void KeptScaleCorrectionTurnsAndShiftsButDoesNotZoom()
    {
        using var scope = NewDisposeScope();
        double angle = 0.4, s = 1.7;
        float c = (float)(s * Math.Cos(angle)), n = (float)(s * Math.Sin(angle));
        var affine = tensor(new[] { c, -n, 0.3f, n, c, -0.2f, 2f, 1f, 0.1f, 0f, 0.5f, 0.4f }).reshape(2, 2, 3).requires_grad_();
        var kept = MomentNormalisation.KeepScale(affine);
        float rc = (float)Math.Cos(angle), rs = (float)Math.Sin(angle);
        AssertClose(tensor(new[] { rc, -rs, 0.3f, rs, rc, -0.2f }).reshape(1, 2, 3), kept[0].unsqueeze(0), 1e-6, "a similarity loses its zoom");
        AssertClose(tensor(new[] { 2f, 1f, 0.1f, 0f, 0.5f, 0.4f }).reshape(1, 2, 3), kept[1].unsqueeze(0), 1e-6, "unit determinant already");
        kept.sum().backward();
        Assert.IsTrue(affine.grad is { } grad && grad.abs().sum().item<float>() > 0, "differentiable");

        var projective = tensor(new[] { 2f, 0f, 0.1f, 0f, 2f, 0.2f, 0.01f, 0.02f, 1f }).reshape(1, 3, 3);
        AssertClose(tensor(new[] { 1f, 0f, 0.1f, 0f, 1f, 0.2f, 0.01f, 0.02f, 1f }).reshape(1, 3, 3), MomentNormalisation.KeepScale(projective), 1e-6,
            "a homography: the 2×2 part only");
    }

    /// <summary>
    /// Whatever the localisation net regresses, θ of the extent view keeps the view's scale: its absolute determinant
    /// is the view's, through every refinement step.
    /// </summary>
    [TestMethod]
    public void ExtentViewFixesTheScaleOfTheWarp()
    {
        using var scope = NewDisposeScope();
        manual_seed(3);
        var input = cat([Square(3, 20, 8), Square(25, 2, 14)], 0);
        using var transformer = new SpatialTransformer(1, Side, Side, 24, 24, TransformKind.Affine, refinementSteps: 2, momentView: MomentView.InkExtent);
        using (no_grad())
        {
            foreach (var parameter in transformer.Localisation.parameters())
                parameter.add_(randn_like(parameter) * 0.3);
        }

        var (theta, _) = transformer.forward(input);
        var view = MomentNormalisation.StartTheta(input, TransformKind.Affine, alignCorners: false);
        static Tensor Determinant(Tensor m) => m[TensorIndex.Colon, 0, 0] * m[TensorIndex.Colon, 1, 1] - m[TensorIndex.Colon, 0, 1] * m[TensorIndex.Colon, 1, 0];
        Assert.IsGreaterThan(1e-2f, (theta - view).abs().max().item<float>(), "the random net moves θ away from the view");
        AssertClose(Determinant(view), Determinant(theta).abs(), 1e-5, "the view's scale (a correction may mirror)");
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
        foreach (var view in new[] { MomentView.InkExtent, MomentView.RadiusOfGyration })
        {
            var theta = MomentNormalisation.StartTheta(images, TransformKind.Affine, alignCorners: false, view);
            AssertBlankAndSinglePixel(theta);
        }
    }

    private static void AssertBlankAndSinglePixel(Tensor theta)
    {
        AssertClose(eye(2, 3).unsqueeze(0), theta[0].unsqueeze(0), 0, "a blank image has no centre: the whole input");
        double minimum = MomentNormalisation.MinimumHalfSidePixels / (Side / 2.0);
        AssertClose(tensor(new[] { (float)minimum, 0, 2f * 30.5f / Side - 1, 0, (float)minimum, 2f * 10.5f / Side - 1 }).reshape(1, 2, 3),
            theta[1].unsqueeze(0), 1e-6, "a single pixel: centred on it, at the smallest view");
        AssertClose(eye(2, 3).unsqueeze(0), theta[2].unsqueeze(0), 0, "negative values are no mass");
    }

    /// <summary>
    /// Moving and enlarging the object moves and enlarges its view alike. A square has no principal axis, so its extent
    /// is its side between pixel centres (k − 1); its radius of gyration grows as √(k² − 1).
    /// </summary>
    [TestMethod]
    [DataRow(MomentView.InkExtent, 11 / 5.0)]
    [DataRow(MomentView.RadiusOfGyration, 2.0213149892370277)]
    public void ViewFollowsTheObjectsPositionAndSize(MomentView view, double growth)
    {
        using var scope = NewDisposeScope();
        var small = MomentNormalisation.StartTheta(Square(4, 4, 6), TransformKind.Affine, alignCorners: false, view);
        var moved = MomentNormalisation.StartTheta(Square(24, 14, 6), TransformKind.Affine, alignCorners: false, view);
        var large = MomentNormalisation.StartTheta(Square(4, 4, 12), TransformKind.Affine, alignCorners: false, view);

        AssertClose(small[TensorIndex.Colon, TensorIndex.Colon, 2] + tensor(new float[] { 40f / Side, 20f / Side }), moved[TensorIndex.Colon, TensorIndex.Colon, 2], 1e-6, "shifted by (20, 10) pixels");
        AssertClose(small[TensorIndex.Colon, 0, 0], moved[TensorIndex.Colon, 0, 0], 1e-6, "same size");
        double ratio = large[0, 0, 0].item<float>() / small[0, 0, 0].item<float>();
        Assert.AreEqual(growth, ratio, 1e-5, "twice the side");
    }

    /// <summary>
    /// A fresh transformer (its localisation head at the identity) warps with the moments' view itself: the net looks at
    /// the view and regresses the identity, which composes to the view.
    /// </summary>
    [TestMethod]
    [DataRow(TransformKind.Affine, 1, MomentView.InkExtent)]
    [DataRow(TransformKind.Similarity, 2, MomentView.InkExtent)]
    [DataRow(TransformKind.Projective, 2, MomentView.InkExtent)]
    [DataRow(TransformKind.Attention, 2, MomentView.RadiusOfGyration)]
    public void FreshTransformerWarpsWithTheMomentsView(TransformKind kind, int steps, MomentView momentView)
    {
        using var scope = NewDisposeScope();
        var input = cat([Square(3, 20, 8), Square(25, 2, 14)], 0);
        using var transformer = new SpatialTransformer(1, Side, Side, 24, 24, kind, refinementSteps: steps, momentView: momentView);
        var (theta, rectified) = transformer.forward(input);
        var view = MomentNormalisation.StartTheta(input, kind, alignCorners: false, momentView);
        AssertClose(view, theta, 1e-6, "θ is the view");
        AssertClose(SpatialTransformer.Warp(input, view, 24, 24), rectified, 1e-4, "rectified image of the view");
        Assert.AreEqual(momentView, transformer.MomentView);
    }

    [TestMethod]
    public void ThinPlateSplineCannotStartFromTheMoments()
    {
        var e = Assert.Throws<ArgumentException>(() =>
            new SpatialTransformer(1, Side, Side, Side, Side, TransformKind.ThinPlateSpline, momentView: MomentView.InkExtent));
        Assert.AreEqual("momentView", e.ParamName);
        Assert.Throws<ArgumentException>(() => MomentNormalisation.StartTheta(Square(4, 4, 6), TransformKind.Affine, alignCorners: false, MomentView.None));
    }
}
