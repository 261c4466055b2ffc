using Microsoft.ML.Data;
using Microsoft.ML.Stn.Network;
using Stn.Datasets;
using static TorchSharp.torch;

namespace Microsoft.ML.Stn.Tests.MLNet;

/// <summary>TransformerCount and the thin-plate spline through ML.NET: columns, persistence, bad input, RGB, and training.</summary>
[TestClass]
public sealed class ParallelTransformerTests
{
    internal const int Side = 20;
    internal const int OutputSide = 12;
    internal const int ControlPointGridSize = 3;
    private const string Rectified = "RectifiedImage";

    internal static StnClassifyOptions SmallOptions(int transformerCount, TransformKind kind = TransformKind.Affine, int channels = 1) => new()
    {
        ImageHeight = Side,
        ImageWidth = Side,
        Channels = channels,
        OutputHeight = OutputSide,
        OutputWidth = OutputSide,
        Transform = kind,
        ControlPointGridSize = ControlPointGridSize,
        TransformerCount = transformerCount,
        Epochs = 1,
        BatchSize = 32,
        RectifiedImageColumnName = Rectified,
        Seed = 3,
    };

    /// <summary>Glyphs on a 20×20 canvas; with three channels the planes are the glyph, half of it, and nothing.</summary>
    internal static IDataView Glyphs(MLContext ml, int count, int seed, int channels)
    {
        var images = GlyphDataset.Generate(count, seed, canvasSize: Side, glyphSize: 12, maxShiftPixels: 3);
        var rows = images.Rows(global::Stn.Datasets.Glyphs.Name).ToList();
        if (channels == 3)
        {
            foreach (var row in rows)
                row.Features = [.. row.Features, .. row.Features.Select(v => v / 2), .. new float[row.Features.Length]];
        }
        return rows.ToDataView(ml, channels * Side * Side);
    }

    private static ITransformer Fit(MLContext ml, StnClassifyOptions options, IDataView data) =>
        ml.Transforms.Conversion.MapValueToKey("Label").Append(ml.Transforms.StnClassify(options)).Fit(data);

    [TestMethod]
    [DataRow(1)]
    [DataRow(2)]
    [DataRow(4)]
    public void ColumnsHoldOneBlockPerTransformer(int count)
    {
        var ml = new MLContext(1);
        var data = Glyphs(ml, 64, 1, 1);
        var scored = Fit(ml, SmallOptions(count), data).Transform(Glyphs(ml, 6, 2, 1));
        Assert.AreEqual(new VectorDataViewType(NumberDataViewType.Single, count * 6), scored.Schema["Theta"].Type);
        Assert.AreEqual(new VectorDataViewType(NumberDataViewType.Single, count * 4), scored.Schema["BoundingBox"].Type, "one box per transformer");
        Assert.AreEqual(new VectorDataViewType(NumberDataViewType.Single, count * OutputSide * OutputSide), scored.Schema[Rectified].Type);

        // Block t of the rectified image is the input warped with block t of θ.
        var inputs = scored.GetColumn<float[]>("Features").ToArray();
        var thetas = scored.GetColumn<float[]>("Theta").ToArray();
        var rectified = scored.GetColumn<float[]>(Rectified).ToArray();
        var boxes = scored.GetColumn<float[]>("BoundingBox").ToArray();
        using var scope = NewDisposeScope();
        for (int row = 0; row < inputs.Length; row++)
        {
            var input = tensor(inputs[row], new long[] { 1, 1, Side, Side });
            for (int t = 0; t < count; t++)
            {
                var theta = tensor(thetas[row].AsSpan(6 * t, 6).ToArray(), new long[] { 1, 2, 3 });
                var box = BoundingBox.FromTheta(theta, OutputSide, OutputSide, Side, Side, alignCorners: false).data<float>().ToArray();
                for (int k = 0; k < 4; k++)
                    Assert.AreEqual(box[k], boxes[row][4 * t + k], 1e-3, $"row {row}, transformer {t}, box slot {k}");
                var expected = SpatialTransformer.Warp(input, theta, OutputSide, OutputSide).reshape(-1);
                var actual = tensor(rectified[row].AsSpan(t * OutputSide * OutputSide, OutputSide * OutputSide).ToArray());
                double error = (expected - actual).abs().max().item<float>();
                Assert.IsLessThanOrEqualTo(1e-2, error, $"row {row}, transformer {t}: max difference {error} (pixels 0–255)");
            }
        }
    }

    [TestMethod]
    public void TwoThinPlateSplineTransformersSurviveSaveAndLoad()
    {
        var ml = new MLContext(1);
        var model = Fit(ml, SmallOptions(2, TransformKind.ThinPlateSpline), Glyphs(ml, 64, 1, 1));
        var test = Glyphs(ml, 8, 2, 1);
        using var stream = new MemoryStream();
        ml.Model.Save(model, test.Schema, stream);
        stream.Position = 0;
        var loaded = new MLContext(2).Model.Load(stream, out _);

        var before = model.Transform(test);
        var after = loaded.Transform(test);
        Assert.AreEqual(new VectorDataViewType(NumberDataViewType.Single, 2 * 2 * 9), after.Schema["Theta"].Type, "two blocks of 2K² = 18");
        Assert.AreEqual(new VectorDataViewType(NumberDataViewType.Single, 2 * 4), after.Schema["BoundingBox"].Type, "two boxes");
        foreach (var column in new[] { "Score", "Theta", "BoundingBox", Rectified })
        {
            TrainedModel.AssertSame(TrainedModel.Vectors(before, column), TrainedModel.Vectors(after, column), 1e-6, column);
        }
    }

    [TestMethod]
    public void BadCountsAndGridSizesAreRefusedByName()
    {
        var ml = new MLContext(1);
        void Refused(StnClassifyOptions options, params string[] parts)
        {
            var e = Assert.Throws<Exception>(() => ml.Transforms.StnClassify(options));
            foreach (var part in parts)
                Assert.Contains(part, e.Message, $"message should name '{part}': {e.Message}");
        }

        Refused(SmallOptions(0), "TransformerCount", "0");
        Refused(SmallOptions(11, channels: 3), "TransformerCount", "33", ClassifierNet.MaximumInputChannels.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var one = SmallOptions(1, TransformKind.ThinPlateSpline);
        one.ControlPointGridSize = 1;
        Refused(one, "ControlPointGridSize", "1");
        var tooFine = SmallOptions(1, TransformKind.ThinPlateSpline);
        tooFine.ControlPointGridSize = OutputSide + 1;
        Refused(tooFine, "ControlPointGridSize", "13", $"{OutputSide}×{OutputSide}");
    }

    /// <summary>
    /// Three-channel glyphs whose green plane is half the red and whose blue plane is empty: whatever each warp
    /// learned, sampling is linear per channel, so every rectified block keeps green = red / 2 and blue = 0.
    /// </summary>
    [TestMethod]
    public void ColourImagesWorkWithEveryKindAndTwoTransformers()
    {
        foreach (var kind in Enum.GetValues<TransformKind>())
        {
            var ml = new MLContext(1);
            var scored = Fit(ml, SmallOptions(2, kind, channels: 3), Glyphs(ml, 64, 1, 3)).Transform(Glyphs(ml, 4, 2, 3));
            int plane = OutputSide * OutputSide;
            Assert.AreEqual(new VectorDataViewType(NumberDataViewType.Single, 2 * 3 * plane), scored.Schema[Rectified].Type, kind.ToString());
            foreach (var image in scored.GetColumn<float[]>(Rectified))
            {
                for (int t = 0; t < 2; t++)
                {
                    var red = image.AsSpan((3 * t) * plane, plane);
                    var green = image.AsSpan((3 * t + 1) * plane, plane);
                    var blue = image.AsSpan((3 * t + 2) * plane, plane);
                    Assert.IsGreaterThan(0f, red.ToArray().Max(), $"{kind}, transformer {t}: the glyph is in view");
                    for (int i = 0; i < plane; i++)
                    {
                        Assert.AreEqual(red[i] / 2, green[i], 1e-3, $"{kind}, transformer {t}, pixel {i}: green");
                        Assert.AreEqual(0f, blue[i], 1e-4, $"{kind}, transformer {t}, pixel {i}: blue");
                    }
                }
            }
            Assert.IsTrue(scored.GetColumn<float[]>("Score").All(s => s.All(float.IsFinite)), $"{kind}: finite scores");
        }
    }

    /// <summary>
    /// Glyph sums: two transformers start at the same (identity) warp and, trained on the label alone, end with
    /// different ones.
    /// </summary>
    [TestMethod]
    public void TwoTransformersTrainedOnGlyphSumsLearnDifferentWarps()
    {
        var ml = new MLContext(1);
        var train = GlyphPairDataset.Generate(400, seed: 21, height: 24, glyphSize: 12, maxShiftPixels: 4, glyphClasses: 4);
        var test = GlyphPairDataset.Generate(40, seed: 22, height: 24, glyphSize: 12, maxShiftPixels: 4, glyphClasses: 4);
        var options = new StnClassifyOptions
        {
            ImageHeight = 24,
            ImageWidth = 48,
            OutputHeight = 16,
            OutputWidth = 16,
            TransformerCount = 2,
            Epochs = 2,
            Seed = 5,
        };
        var model = Fit(ml, options, train.Images.ToDataView(ml, GlyphPairDataset.Name));
        var thetas = model.Transform(test.Images.ToDataView(ml, GlyphPairDataset.Name)).GetColumn<float[]>("Theta").ToArray();

        double difference = thetas.Average(t => Enumerable.Range(0, 6).Max(i => Math.Abs(t[i] - t[6 + i])));
        Console.WriteLine($"mean largest |θ1 − θ2| entry: {difference:F4}");
        Assert.IsGreaterThan(0.01, difference, $"the two warps differ: mean largest entry difference {difference:F4}");
    }
}
