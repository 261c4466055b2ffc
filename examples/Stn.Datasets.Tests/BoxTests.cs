using SkiaSharp;
using Stn.Datasets;

namespace Stn.Datasets.Tests;

/// <summary>True boxes of the data sets, the cluttered set, and the co-localisation metrics.</summary>
[TestClass]
public sealed class BoxTests
{
    [TestMethod]
    public void TightBoxHoldsExactlyTheInkedPixels()
    {
        var image = new float[5 * 6];
        image[2 * 6 + 3] = 10;
        Assert.AreEqual(new Box(3, 2, 4, 3), Box.Tight(image, 5, 6), "one pixel is a 1×1 box at its edges");
        image[4 * 6 + 0] = 0.5f;
        Assert.AreEqual(new Box(0, 2, 4, 5), Box.Tight(image, 5, 6));
        Assert.AreEqual(new Box(3, 2, 4, 3), Box.Tight(image, 5, 6, threshold: 1), "pixels at or below the threshold are background");
        Assert.AreEqual(default, Box.Tight(new float[4], 2, 2), "no ink, empty box");
        Assert.AreEqual(new Box(0, 0, 7, 5), Box.WholeImage(5, 7));
    }

    [TestMethod]
    public void IntersectionOverUnionOfKnownBoxes()
    {
        var a = new Box(0, 0, 2, 2);
        Assert.AreEqual(1.0, Box.IntersectionOverUnion(a, a), 1e-12);
        Assert.AreEqual(1.0 / 3, Box.IntersectionOverUnion(a, new Box(1, 0, 3, 2)), 1e-12);
        Assert.AreEqual(1.0 / 4, Box.IntersectionOverUnion(a, new Box(0, 0, 4, 4)), 1e-12, "a box inside another: area ratio");
        Assert.AreEqual(0.0, Box.IntersectionOverUnion(a, new Box(2, 0, 4, 2)), "touching edges do not overlap");
        Assert.AreEqual(0.0, Box.IntersectionOverUnion(a, new Box(float.NaN, 0, 1, 1)), "a NaN box is a miss");
        Assert.AreEqual(0.0, Box.IntersectionOverUnion(default, default), "empty boxes do not overlap");
    }

    [TestMethod]
    public void HitNeedsIoUAboveOneHalf()
    {
        var truth = new[] { new Box(0, 0, 2, 2), new Box(0, 0, 2, 2), new Box(0, 0, 2, 2), new Box(0, 0, 2, 2) };
        var predicted = new[]
        {
            new Box(0, 0, 2, 2),                 // IoU 1
            new Box(0, 0, 2, 4),                 // IoU 0.5 exactly: not above
            new Box(0, 0, 2, 3),                 // IoU 2/3
            new Box(float.NaN, 0, 0, 0),         // IoU 0
        };
        var scores = BoxMetrics.Evaluate(predicted, truth);
        Assert.AreEqual(0.5, scores.HitRate, 1e-12);
        Assert.AreEqual((1 + 0.5 + 2.0 / 3 + 0) / 4, scores.MeanIoU, 1e-12);
        Assert.AreEqual(4, scores.Count);
        Assert.ThrowsExactly<ArgumentException>(() => BoxMetrics.Evaluate(predicted[..2], truth));
    }

    [TestMethod]
    public void SideRatioAndCentreErrorAreMediansOverFiniteBoxes()
    {
        var truth = new[] { new Box(0, 0, 2, 2), new Box(0, 0, 2, 2), new Box(0, 0, 2, 2), new Box(0, 0, 2, 2) };
        var predicted = new[]
        {
            new Box(0, 0, 4, 4),                 // side ratio 2, centre (2, 2) against (1, 1): error √2 / 2 ≈ 0.71
            new Box(1, 0, 3, 2),                 // side ratio 1, centre 1 pixel right: error 1 / 2
            new Box(0, 0, 1, 1),                 // side ratio 0.5, centre (0.5, 0.5): error √0.5 / 2 ≈ 0.35
            new Box(float.NaN, 0, 0, 0),         // left out of both medians
        };
        var scores = BoxMetrics.Evaluate(predicted, truth);
        Assert.AreEqual(1, scores.SideRatio, 1e-6);
        Assert.AreEqual(0.5, scores.CentreError, 1e-6);
    }

    [TestMethod]
    public void RtsTrueBoxIsTheTightBoxOfTheDistortedObject()
    {
        var data = GlyphDataset.Generate(20, seed: 3);
        for (int i = 0; i < data.Count; i++)
            Assert.AreEqual(Box.Tight(data.Image(i), 32, 32), data.Boxes[i]);

        // Undistorted, a 16×16 glyph sits at (8, 8) on the 32×32 canvas: its box is the glyph's own, shifted by 8.
        var upright = GlyphDataset.Generate(10, seed: 3, maxAngleDegrees: 0, minScale: 1, maxScale: 1, maxShiftPixels: 0);
        for (int i = 0; i < upright.Count; i++)
            Assert.AreEqual(Box.Tight(Glyphs.Render(upright.Labels[i], 16), 16, 16).Offset(8, 8), upright.Boxes[i]);

        var pixels = new byte[3 * 28 * 28];
        pixels[1 * 784 + 10 * 28 + 12] = 200;   // image 1: one lit pixel at column 12, row 10
        var fashion = FashionMnist.DistortedSubset(pixels, [0, 1, 2], 28, 28, 3, seed: 1, canvasSize: 42, maxAngleDegrees: 0, minScale: 1, maxScale: 1, maxShiftPixels: 0);
        Assert.AreEqual(new Box(12 + 7, 10 + 7, 13 + 7, 11 + 7), fashion.Boxes[1], "centred on 42×42: shifted by 7");
        Assert.AreEqual(default, fashion.Boxes[0], "a blank image has an empty box");
    }

    [TestMethod]
    public void ClutteredImagesHoldTheWholeObjectAtItsBoxAndClutterElsewhere()
    {
        var data = GlyphDataset.GenerateCluttered(40, seed: 7);
        Assert.AreEqual((40, 1, 60, 60), (data.Count, data.Channels, data.Height, data.Width));
        int clutteredImages = 0;
        for (int i = 0; i < data.Count; i++)
        {
            var glyph = Glyphs.Render(data.Labels[i], 28);
            var image = data.Image(i);
            var d = data.Distortions[i];
            Assert.AreEqual((0.0, 1.0), (d.AngleDegrees, d.Scale), "translation only");

            // The recorded shift places the glyph exactly as RtsDistortion would, and its box is the glyph's tight box there.
            var alone = RtsDistortion.Apply(glyph, 28, 28, 60, 60, d);
            Assert.AreEqual(Box.Tight(alone, 60, 60), data.Boxes[i]);
            Assert.IsTrue(image.Zip(alone).All(p => p.First >= p.Second), "clutter never hides the object");
            Assert.IsTrue(data.Boxes[i].Left >= 0 && data.Boxes[i].Right <= 60 && data.Boxes[i].Top >= 0 && data.Boxes[i].Bottom <= 60, "the whole object is on the canvas");
            if (image.Zip(alone).Any(p => p.First > p.Second))
                clutteredImages++;
        }

        Assert.IsGreaterThan(30, clutteredImages, "most images carry visible clutter");
        var again = GlyphDataset.GenerateCluttered(40, seed: 7);
        CollectionAssert.AreEqual(data.Pixels, again.Pixels);
        CollectionAssert.AreEqual(data.Boxes, again.Boxes);
        CollectionAssert.AreNotEqual(data.Pixels, GlyphDataset.GenerateCluttered(40, seed: 8).Pixels);
    }

    [TestMethod]
    public void UnclutteredCentredViewIsTheSameObjectsUprightInTheMiddle()
    {
        var cluttered = GlyphDataset.GenerateCluttered(20, seed: 2);
        var oracle = GlyphDataset.GenerateCluttered(20, seed: 2, pieces: 0, translate: false);
        CollectionAssert.AreEqual(cluttered.Labels, oracle.Labels);
        for (int i = 0; i < oracle.Count; i++)
        {
            var centred = RtsDistortion.Apply(Glyphs.Render(oracle.Labels[i], 28), 28, 28, 60, 60, new RtsParameters(0, 1, 0, 0));
            CollectionAssert.AreEqual(centred, oracle.Image(i));
        }
    }

    [TestMethod]
    public void ClutterIsCutFromOtherGarments()
    {
        // Garment 0 is blank and garment 1 lit everywhere, so garment 0's image shows only clutter: pieces of garment 1.
        var pixels = new byte[2 * 28 * 28];
        Array.Fill(pixels, (byte)100, 784, 784);
        var data = FashionMnist.ClutteredSubset(pixels, [3, 4], side: 28, take: 2, seed: 1, canvasSize: 60, pieces: 4, pieceSide: 6);
        CollectionAssert.AreEqual(new[] { 3, 4 }, data.Labels);
        var blank = data.Image(0);
        Assert.AreEqual(default, data.Boxes[0]);
        int lit = blank.Count(v => v == 100);
        Assert.IsTrue(lit >= 36 && lit <= 4 * 36 && blank.All(v => v is 0 or 100), $"{lit} clutter pixels: 1 to 4 pieces of 6×6");
        Assert.AreEqual(28f * 28, data.Boxes[1].Area);
    }

    [TestMethod]
    public void ContactSheetShowsTrueBoxInGreenAndPredictedInRed()
    {
        var directory = Path.Combine(Path.GetTempPath(), "stn-boxes-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        try
        {
            var image = new float[20 * 20];
            var path = Path.Combine(directory, "boxes.png");
            Png.WriteContactSheet(path, [(image, 20, image, 20)], columns: 1, scale: 2,
                boxes: [(new Box(2, 2, 10, 10), new Box(-5, 12, 18, 18))]);

            using var bitmap = SKBitmap.Decode(path);
            const int gap = 2;
            var green = bitmap.GetPixel(gap + 2 * 2, gap + 2 * 6);
            var red = bitmap.GetPixel(gap + 2 * 8, gap + 2 * 18 - 1);
            Assert.IsTrue(green.Green > 150 && green.Red < 100, $"true box edge {green}");
            Assert.IsTrue(red.Red > 150 && red.Green < 100, $"predicted box edge {red}");
            var clipped = bitmap.GetPixel(gap, gap + 2 * 15);
            Assert.IsTrue(clipped.Red > 150, $"a box reaching left of the image is drawn at its left edge: {clipped}");
            Assert.AreEqual(SKColors.Black, bitmap.GetPixel(gap + 2 * 5, gap + 2 * 5), "inside the boxes the image shows");
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
