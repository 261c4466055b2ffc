using System.Buffers.Binary;
using System.IO.Compression;
using SkiaSharp;
using Stn.Datasets;

namespace Stn.Datasets.Tests;

[TestClass]
public sealed class DatasetTests
{
    private static string NewTempDirectory()
    {
        var directory = Path.Combine(Path.GetTempPath(), "stn-datasets-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        return directory;
    }

    [TestMethod]
    public void GlyphsAreDistinctAndInked()
    {
        var rendered = Glyphs.RenderAll(16);
        Assert.AreEqual(Glyphs.ClassCount, Enumerable.Range(0, Glyphs.ClassCount).Select(Glyphs.Name).Distinct().Count());
        foreach (var image in rendered)
        {
            Assert.AreEqual(256, image.Length);
            Assert.AreEqual(255f, image.Max());
            Assert.IsTrue(image.All(v => v >= 0 && v <= 255));
        }

        for (int a = 0; a < rendered.Length; a++)
        {
            for (int b = a + 1; b < rendered.Length; b++)
            {
                double difference = rendered[a].Zip(rendered[b], (x, y) => Math.Abs(x - y)).Sum();
                Assert.IsGreaterThan(255.0 * 10, difference, $"{Glyphs.Name(a)} and {Glyphs.Name(b)} look alike.");
            }
        }
    }

    [TestMethod]
    public void GenerationIsDeterministicPerSeed()
    {
        var first = GlyphDataset.Generate(30, seed: 5);
        var again = GlyphDataset.Generate(30, seed: 5);
        var other = GlyphDataset.Generate(30, seed: 6);

        CollectionAssert.AreEqual(first.Pixels, again.Pixels);
        CollectionAssert.AreEqual(first.Labels, again.Labels);
        CollectionAssert.AreEqual(first.Distortions, again.Distortions);
        CollectionAssert.AreNotEqual(first.Pixels, other.Pixels);
        Assert.AreEqual(30 * 32 * 32, first.Pixels.Length);
        Assert.AreEqual((1, 32, 32), (first.Channels, first.Height, first.Width));
        CollectionAssert.AreEqual(first.Pixels.AsSpan(3 * 1024, 1024).ToArray(), first.Image(3));
    }

    [TestMethod]
    public void ClassesAreBalancedAndShuffled()
    {
        var data = GlyphDataset.Generate(100, seed: 1);
        var counts = data.Labels.GroupBy(l => l).ToDictionary(g => g.Key, g => g.Count());
        Assert.HasCount(10, counts);
        Assert.IsTrue(counts.Values.All(c => c == 10));
        CollectionAssert.AreNotEqual(Enumerable.Range(0, 100).Select(i => i % 10).ToArray(), data.Labels);
    }

    [TestMethod]
    public void GeneratedGlyphsStayMostlyOnTheCanvas()
    {
        var data = GlyphDataset.Generate(50, seed: 2);
        double onCanvas = data.Pixels.Sum(v => (double)v);
        double upright = Enumerable.Range(0, 50).Sum(i => Glyphs.Render(data.Labels[i], 16).Sum(v => (double)v) * data.Distortions[i].Scale * data.Distortions[i].Scale);
        Assert.IsGreaterThan(0.9, onCanvas / upright);
    }

    [TestMethod]
    public void IdentityDistortionCentresTheSourceExactly()
    {
        var source = Enumerable.Range(0, 6 * 4).Select(i => (float)(i + 1)).ToArray();
        var output = RtsDistortion.Apply(source, 6, 4, 10, 8, new RtsParameters(0, 1, 0, 0));

        for (int y = 0; y < 10; y++)
        {
            for (int x = 0; x < 8; x++)
            {
                bool inside = y >= 2 && y < 8 && x >= 2 && x < 6;
                float expected = inside ? source[(y - 2) * 4 + (x - 2)] : 0f;
                Assert.AreEqual(expected, output[y * 8 + x], $"pixel ({x}, {y})");
            }
        }
    }

    [TestMethod]
    public void QuarterTurnIsCounterClockwiseOnScreen()
    {
        var source = new float[8 * 8];
        source[3 * 8 + 7] = 255;
        var output = RtsDistortion.Apply(source, 8, 8, 8, 8, new RtsParameters(90, 1, 0, 0));

        // Column 7 of row 3 is right of centre; a counter-clockwise quarter turn takes it to row 0, column 3 (above centre).
        Assert.AreEqual(255f, output[0 * 8 + 3]);
        Assert.AreEqual(255f, output.Sum());
    }

    [TestMethod]
    public void IntegerShiftMovesPixelsExactly()
    {
        var source = Enumerable.Range(0, 16).Select(i => (float)i).ToArray();
        var centred = RtsDistortion.Apply(source, 4, 4, 12, 12, new RtsParameters(0, 1, 0, 0));
        var shifted = RtsDistortion.Apply(source, 4, 4, 12, 12, new RtsParameters(0, 1, 3, -2));

        for (int y = 0; y < 12; y++)
        {
            for (int x = 0; x < 12; x++)
            {
                int sx = x - 3, sy = y + 2;
                float expected = sx >= 0 && sy < 12 ? centred[sy * 12 + sx] : 0f;
                Assert.AreEqual(expected, shifted[y * 12 + x], $"pixel ({x}, {y})");
            }
        }
    }

    [TestMethod]
    public void UndoOfQuarterTurnAndIntegerShiftRestoresTheUprightCanvasExactly()
    {
        var source = Enumerable.Range(0, 36).Select(i => (float)(i * 7 % 13)).ToArray();
        var upright = RtsDistortion.Apply(source, 6, 6, 16, 16, new RtsParameters(0, 1, 0, 0));
        var p = new RtsParameters(-90, 1, 2, -3);

        var undone = RtsDistortion.Undo(RtsDistortion.Apply(source, 6, 6, 16, 16, p), 16, 16, p);

        CollectionAssert.AreEqual(upright, undone);
    }

    [TestMethod]
    public void UndoInvertsRotationScaleAndShiftUpToResampling()
    {
        // A smooth blob, so bilinear resampling twice changes it little; the distortion keeps it inside the canvas.
        var source = new float[12 * 12];
        for (int y = 0; y < 12; y++)
        {
            for (int x = 0; x < 12; x++)
            {
                source[y * 12 + x] = (float)(255 * Math.Exp(-((x - 6.5) * (x - 6.5) / 8.0 + (y - 4.5) * (y - 4.5) / 3.0)));
            }
        }

        var upright = RtsDistortion.Apply(source, 12, 12, 32, 32, new RtsParameters(0, 1, 0, 0));
        var p = new RtsParameters(37, 1.3, 4.25, -2.5);
        var distorted = RtsDistortion.Apply(source, 12, 12, 32, 32, p);

        var undone = RtsDistortion.Undo(distorted, 32, 32, p);

        double worst = upright.Zip(undone, (a, b) => Math.Abs(a - b)).Max();
        Assert.IsTrue(worst < 0.1 * 255, $"largest difference {worst:F1} of 255");
        Assert.IsTrue(upright.Zip(distorted, (a, b) => Math.Abs(a - b)).Max() > 0.5 * 255, "the distortion itself must move the blob");
    }

    [TestMethod]
    public void SampledParametersStayInRange()
    {
        var rng = new Random(3);
        for (int i = 0; i < 200; i++)
        {
            var p = RtsDistortion.Sample(rng, 30, 0.8, 1.1, 4);
            Assert.IsTrue(Math.Abs(p.AngleDegrees) <= 30 && p.Scale >= 0.8 && p.Scale <= 1.1);
            Assert.IsTrue(Math.Abs(p.ShiftX) <= 4 && Math.Abs(p.ShiftY) <= 4);
        }
    }

    [TestMethod]
    public void CentroidOfSingleLitPixelIsThatPixel()
    {
        var image = new float[7 * 9];
        image[5 * 9 + 2] = 200;
        var (x, y) = ImageStatistics.Centroid(image, 7, 9);
        Assert.AreEqual(2.0, x, 1e-12);
        Assert.AreEqual(5.0, y, 1e-12);
    }

    [TestMethod]
    public void OrientationOfBarsFollowsTheirAxis()
    {
        var horizontal = new float[15 * 15];
        var vertical = new float[15 * 15];
        var diagonal = new float[15 * 15];
        for (int i = 2; i < 13; i++)
        {
            horizontal[7 * 15 + i] = 255;
            horizontal[8 * 15 + i] = 255;
            vertical[i * 15 + 7] = 255;
            diagonal[(14 - i) * 15 + i] = 255;
        }

        Assert.AreEqual(0.0, ImageStatistics.OrientationDegrees(horizontal, 15, 15), 1e-9);
        Assert.AreEqual(90.0, ImageStatistics.OrientationDegrees(vertical, 15, 15), 1e-9);
        Assert.AreEqual(45.0, ImageStatistics.OrientationDegrees(diagonal, 15, 15), 1e-9);
    }

    [TestMethod]
    public void OrientationTracksRotation()
    {
        var bar = new float[9 * 9];
        for (int x = 1; x < 8; x++)
        {
            bar[4 * 9 + x] = 255;
        }

        var rotated = RtsDistortion.Apply(bar, 9, 9, 21, 21, new RtsParameters(30, 1.5, 0, 0));
        Assert.AreEqual(30.0, ImageStatistics.OrientationDegrees(rotated, 21, 21), 2.0);
    }

    [TestMethod]
    public void SpreadsOfKnownValues()
    {
        Assert.AreEqual(2.0, ImageStatistics.Spread([2, 4, 4, 4, 5, 5, 7, 9]), 1e-12);
        Assert.AreEqual(0.0, ImageStatistics.Spread([3, 3, 3]), 1e-12);
        Assert.AreEqual(ImageStatistics.Spread([10, 30, 35]), ImageStatistics.AngleSpreadDegrees([10, 30, 35]), 1e-9);
        Assert.AreEqual(1.0, ImageStatistics.AngleSpreadDegrees([179, -179]), 1e-9, "close across ±180°");
        Assert.AreEqual(ImageStatistics.Spread([-160, -130]), ImageStatistics.AngleSpreadDegrees([200, 590]), 1e-9, "whole turns do not count");
        Assert.AreEqual(0.0, ImageStatistics.CircularSpreadDegrees([10, 10, 10]), 1e-6);

        // Axes 89° and −89° differ by 2° modulo 180°, so they spread as little as 0° and 2°.
        Assert.AreEqual(ImageStatistics.CircularSpreadDegrees([0, 2]), ImageStatistics.CircularSpreadDegrees([89, -89]), 1e-9);

        // Doubled angles ±20° have R = cos 20°.
        double expected = Math.Sqrt(-2 * Math.Log(Math.Cos(20 * Math.PI / 180))) / 2 * 180 / Math.PI;
        Assert.AreEqual(expected, ImageStatistics.CircularSpreadDegrees([-10, 10]), 1e-9);
        Assert.IsGreaterThan(ImageStatistics.CircularSpreadDegrees([-10, 10]), ImageStatistics.CircularSpreadDegrees([-40, 40]));
    }

    [TestMethod]
    public void IdxRoundTripsPlainAndGzipped()
    {
        var directory = NewTempDirectory();
        try
        {
            var pixels = Enumerable.Range(0, 3 * 2 * 4).Select(i => (byte)(i * 10)).ToArray();
            byte[] labels = [7, 0, 9];
            var images = Header(Idx.ImagesMagic, 3, 2, 4).Concat(pixels).ToArray();
            var labelFile = Header(Idx.LabelsMagic, 3).Concat(labels).ToArray();

            foreach (bool gzip in new[] { false, true })
            {
                string suffix = gzip ? ".gz" : "";
                var imagePath = Path.Combine(directory, "images" + suffix);
                var labelPath = Path.Combine(directory, "labels" + suffix);
                Write(imagePath, images, gzip);
                Write(labelPath, labelFile, gzip);

                var (read, count, rows, cols) = Idx.ReadImages(imagePath);
                Assert.AreEqual((3, 2, 4), (count, rows, cols));
                CollectionAssert.AreEqual(pixels, read);
                CollectionAssert.AreEqual(labels, Idx.ReadLabels(labelPath));
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [TestMethod]
    public void IdxRejectsBadMagicAndTruncation()
    {
        var directory = NewTempDirectory();
        try
        {
            var labelPath = Path.Combine(directory, "labels");
            File.WriteAllBytes(labelPath, [.. Header(Idx.LabelsMagic, 2), 1, 2]);
            var wrongKind = Assert.Throws<InvalidDataException>(() => Idx.ReadImages(labelPath));
            StringAssert.Contains(wrongKind.Message, "magic");

            var truncated = Path.Combine(directory, "truncated.gz");
            Write(truncated, [.. Header(Idx.ImagesMagic, 5, 28, 28), .. new byte[100]], gzip: true);
            var shortData = Assert.Throws<InvalidDataException>(() => Idx.ReadImages(truncated));
            StringAssert.Contains(shortData.Message, "truncated");

            var tiny = Path.Combine(directory, "tiny");
            File.WriteAllBytes(tiny, [0, 0]);
            Assert.Throws<InvalidDataException>(() => Idx.ReadLabels(tiny));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [TestMethod]
    public void FashionMnistFilesAreFoundUnderUsualNames()
    {
        var directory = NewTempDirectory();
        try
        {
            Assert.IsFalse(FashionMnist.TryFind(directory, out var missing, out _, out _, out _));
            Assert.AreEqual(string.Empty, missing);

            foreach (var name in new[] { "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte", "t10k-images.idx3-ubyte", "t10k-labels-idx1-ubyte.gz" })
            {
                File.WriteAllBytes(Path.Combine(directory, name), []);
            }

            Assert.IsTrue(FashionMnist.TryFind(directory, out var trainImages, out var trainLabels, out var testImages, out var testLabels));
            Assert.AreEqual(Path.Combine(directory, "train-images-idx3-ubyte.gz"), trainImages);
            Assert.AreEqual(Path.Combine(directory, "train-labels-idx1-ubyte"), trainLabels);
            Assert.AreEqual(Path.Combine(directory, "t10k-images.idx3-ubyte"), testImages);
            Assert.AreEqual(Path.Combine(directory, "t10k-labels-idx1-ubyte.gz"), testLabels);
            Assert.HasCount(10, FashionMnist.ClassNames);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [TestMethod]
    public void InstalledFashionMnistTestSetReads()
    {
        if (!FashionMnist.TryFind(FashionMnist.DefaultDirectory, out _, out _, out var testImages, out var testLabels))
        {
            Assert.Inconclusive($"Fashion-MNIST is not installed in {FashionMnist.DefaultDirectory} (apt-get install dataset-fashion-mnist).");
        }

        var (pixels, count, rows, cols) = Idx.ReadImages(testImages);
        var labels = Idx.ReadLabels(testLabels);
        Assert.AreEqual((10000, 28, 28), (count, rows, cols));
        Assert.HasCount(count, labels);
        Assert.AreEqual(count * rows * cols, pixels.Length);
        Assert.IsTrue(labels.All(l => l < FashionMnist.ClassNames.Length));
    }

    [TestMethod]
    public void DistortedSubsetKeepsLabelsAndIsDeterministic()
    {
        var pixels = new byte[3 * 28 * 28];
        for (int i = 0; i < 3; i++)
        {
            for (int y = 10; y < 18; y++)
            {
                for (int x = 10; x < 18; x++)
                {
                    pixels[i * 784 + y * 28 + x] = 255;
                }
            }
        }

        byte[] labels = [4, 1, 8];
        var first = FashionMnist.DistortedSubset(pixels, labels, 28, 28, take: 2, seed: 9);
        var again = FashionMnist.DistortedSubset(pixels, labels, 28, 28, take: 2, seed: 9);

        Assert.AreEqual(2, first.Count);
        Assert.AreEqual(42 * 42 * 2, first.Pixels.Length);
        CollectionAssert.AreEqual(new[] { 4, 1 }, first.Labels);
        CollectionAssert.AreEqual(first.Pixels, again.Pixels);
        Assert.IsGreaterThan(0f, first.Image(1).Max());
    }

    [TestMethod]
    public void ContactSheetIsADecodablePngOfTheExpectedSize()
    {
        var directory = NewTempDirectory();
        try
        {
            var data = GlyphDataset.Generate(5, seed: 4);
            var pairs = Enumerable.Range(0, 5).Select(i => (data.Image(i), 32, Glyphs.Render(data.Labels[i], 16), 16)).ToList();
            var path = Path.Combine(directory, "sheet.png");
            Png.WriteContactSheet(path, pairs, columns: 3, scale: 2);

            // Each cell is gap + 64 + gap/2 + 32 + gap wide and gap + 64 + gap high, with gap = 2.
            using var bitmap = SKBitmap.Decode(path);
            Assert.IsNotNull(bitmap);
            Assert.AreEqual(3 * (2 + 64 + 1 + 32 + 2), bitmap.Width);
            Assert.AreEqual(2 * (2 + 64 + 2), bitmap.Height);
            Assert.AreEqual(SKColors.Black, bitmap.GetPixel(2 + 70, 2));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [TestMethod]
    public void GreyImageRoundTripsThroughPng()
    {
        var directory = NewTempDirectory();
        try
        {
            var pixels = Enumerable.Range(0, 6 * 5).Select(i => i * 9f - 10f).ToArray();
            var path = Path.Combine(directory, "grey.png");
            Png.WriteGrey(path, pixels, height: 6, width: 5);

            using var bitmap = SKBitmap.Decode(path);
            Assert.AreEqual(5, bitmap.Width);
            Assert.AreEqual(6, bitmap.Height);
            for (int y = 0; y < 6; y++)
                for (int x = 0; x < 5; x++)
                    Assert.AreEqual((byte)Math.Clamp(pixels[y * 5 + x], 0, 255), bitmap.GetPixel(x, y).Red, $"pixel ({y}, {x})");
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [TestMethod]
    public void LinePlotIsADecodablePngWithColouredLines()
    {
        var directory = NewTempDirectory();
        try
        {
            var path = Path.Combine(directory, "plot.png");
            Png.WriteLinePlot(path, "Accuracy", [("a", [0.1, 0.5, 0.9]), ("b", [0.2, 0.3, double.NaN])], "epoch", "accuracy");

            using var bitmap = SKBitmap.Decode(path);
            Assert.IsNotNull(bitmap);
            Assert.IsGreaterThan(100, bitmap.Width);
            Assert.IsGreaterThan(100, bitmap.Height);
            Assert.IsTrue(bitmap.Pixels.Any(c => c.Red < 100 && c.Blue > 150), "the first series' blue line is missing");
            Assert.IsTrue(bitmap.Pixels.Any(c => c.Red > 180 && c.Green < 80), "the second series' red line is missing");
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static byte[] Header(int magic, params int[] dimensions)
    {
        var header = new byte[4 * (1 + dimensions.Length)];
        BinaryPrimitives.WriteInt32BigEndian(header, magic);
        for (int i = 0; i < dimensions.Length; i++)
        {
            BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4 * (i + 1)), dimensions[i]);
        }

        return header;
    }

    private static void Write(string path, byte[] bytes, bool gzip)
    {
        using var file = File.Create(path);
        using Stream target = gzip ? new GZipStream(file, CompressionLevel.Fastest) : file;
        target.Write(bytes);
    }
}
