using System.Buffers.Binary;
using Microsoft.ML.Stn.Network;
using Microsoft.ML.Stn.Tests.Onnx;
using Microsoft.ML.Stn.Tests.Persistence;
using Stn.Datasets;

namespace Microsoft.ML.Stn.Tests.MLNet;

/// <summary>
/// The warp-recipe options through ML.NET (RefinementSteps, MomentNormalisation, LocalisationWidth,
/// LocalisationBatchNorm, ClassifierBatchNorm): persistence, models of the previous formats, ONNX, bad input.
/// </summary>
[TestClass]
public sealed class WarpRecipeTests
{
    /// <summary>In the payload: six geometry ints, three kind ints, two flags, grid size and transformer count.</summary>
    private const int RecipeOffset = PersistenceFiles.PayloadOffset + 6 * 4 + 3 * 4 + 2 + 2 * 4;

    /// <summary>Refinement steps and localisation width (ints), then the two batch-norm flags (format 3).</summary>
    private const int FormatThreeRecipeLength = 4 + 4 + 1 + 1;

    /// <summary>The view's height and width (ints, format 6).</summary>
    private const int ViewSizeLength = 4 + 4;

    /// <summary>The format-3 recipe, then the moment view (an int since format 5; format 4 had a flag), then the view's size.</summary>
    private const int RecipeLength = FormatThreeRecipeLength + 4 + ViewSizeLength;

    private static StnClassifyOptions Recipe(int refinementSteps)
    {
        var options = TrainedModel.Options();
        options.Epochs = 1;
        options.RefinementSteps = refinementSteps;
        options.LocalisationWidth = 2;
        options.LocalisationBatchNorm = true;
        options.ClassifierBatchNorm = true;
        return options;
    }

    private static readonly string[] Columns = ["Score", "Theta", "BoundingBox", TrainedModel.RectifiedColumn];

    [TestMethod]
    public void RecipeModelSavesLoadsAndScoresIdentically()
    {
        var (ml, model, test) = TrainedModel.Train(Recipe(refinementSteps: 2));
        var view = GlyphData.View(ml, test);
        using var stream = new MemoryStream();
        ml.Model.Save(model, view.Schema, stream);
        stream.Position = 0;
        // A strict load of wider, batch-normalised weights fails unless the recipe is read back, and a lost refinement
        // step would change θ.
        var loaded = new MLContext().Model.Load(stream, out _);
        foreach (var column in Columns)
            TrainedModel.AssertSame(TrainedModel.Vectors(model.Transform(view), column), TrainedModel.Vectors(loaded.Transform(view), column), 1e-6, column);
    }

    /// <summary>
    /// A model saved before the recipe options existed (entry format 2) loads as the classic recipe, one saved before
    /// moment normalisation (format 3) loads without it, and one saved before the view's size was stored (format 5)
    /// reads its views at the input's size.
    /// </summary>
    [TestMethod]
    [DataRow(2, 0, RecipeLength)]
    [DataRow(3, FormatThreeRecipeLength, RecipeLength - FormatThreeRecipeLength)]
    [DataRow(5, RecipeLength - ViewSizeLength, ViewSizeLength)]
    public void OlderFormatModelLoadsWithTheRecipeOfItsTime(int version, int keptRecipeBytes, int removedBytes)
    {
        var classic = TrainedModel.Options();
        classic.Epochs = 1;
        classic.RefinementSteps = 1;
        classic.LocalisationWidth = 1;
        classic.MomentNormalisation = false;
        var (ml, model, test) = TrainedModel.Train(classic);
        var view = GlyphData.View(ml, test);
        using var folder = new PersistenceFiles.TempFolder();
        var path = folder.File("classic.zip");
        ml.Model.Save(model, view.Schema, path);
        PersistenceFiles.RewriteEntry(path, entry =>
        {
            Assert.AreEqual(6, BinaryPrimitives.ReadInt32LittleEndian(entry), "the current format version");
            var recipe = entry.AsSpan(RecipeOffset, RecipeLength);
            byte side = TrainedModel.Canvas;
            CollectionAssert.AreEqual(new byte[] { 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, side, 0, 0, 0, side, 0, 0, 0 }, recipe.ToArray(),
                "steps 1, width 1, no batch norm, no moments, views at the input's size");
            int cut = RecipeOffset + keptRecipeBytes;
            var older = entry[..cut].Concat(entry[(cut + removedBytes)..]).ToArray();
            BinaryPrimitives.WriteInt32LittleEndian(older, version);
            BinaryPrimitives.WriteInt64LittleEndian(older.AsSpan(sizeof(int)), older.Length - PersistenceFiles.PayloadOffset - PersistenceFiles.HashLength);
            return PersistenceFiles.Reseal(older);
        });
        var loaded = new MLContext().Model.Load(path, out _);
        foreach (var column in Columns)
            TrainedModel.AssertSame(TrainedModel.Vectors(model.Transform(view), column), TrainedModel.Vectors(loaded.Transform(view), column), 1e-6, column);
    }

    /// <summary>
    /// Format 4 stored moment normalisation as a flag, when its one view was the radius of gyration's: its models load
    /// with that view (as format 5 stores it) and export it to ONNX, and without the flag they load without a view.
    /// Both formats read views at the input's size, so the model saved here does too.
    /// </summary>
    [TestMethod]
    public void FormatFourMomentFlagLoadsAsTheRadiusOfGyrationView()
    {
        var options = TrainedModel.Options();
        options.Epochs = 1;
        options.OutputHeight = TrainedModel.Canvas;
        options.OutputWidth = TrainedModel.Canvas;
        var (ml, model, test) = TrainedModel.Train(options);
        var view = GlyphData.View(ml, test);
        using var folder = new PersistenceFiles.TempFolder();
        var saved = folder.File("extent.zip");
        ml.Model.Save(model, view.Schema, saved);
        int viewOffset = RecipeOffset + FormatThreeRecipeLength;
        ITransformer Rewritten(string name, int version, int viewBytes, int value)
        {
            var path = folder.File(name);
            File.Copy(saved, path);
            PersistenceFiles.RewriteEntry(path, entry =>
            {
                Assert.AreEqual((int)MomentView.InkExtent, BinaryPrimitives.ReadInt32LittleEndian(entry.AsSpan(viewOffset)), "the default view");
                var stored = new byte[viewBytes];
                if (viewBytes == 1) stored[0] = (byte)value;
                else BinaryPrimitives.WriteInt32LittleEndian(stored, value);
                var rewritten = entry[..viewOffset].Concat(stored).Concat(entry[(viewOffset + 4 + ViewSizeLength)..]).ToArray();
                BinaryPrimitives.WriteInt32LittleEndian(rewritten, version);
                BinaryPrimitives.WriteInt64LittleEndian(rewritten.AsSpan(sizeof(int)), rewritten.Length - PersistenceFiles.PayloadOffset - PersistenceFiles.HashLength);
                return PersistenceFiles.Reseal(rewritten);
            });
            return new MLContext().Model.Load(path, out _);
        }

        var flagged = Rewritten("flag.zip", 4, 1, 1);
        var gyration = Rewritten("gyration.zip", 5, 4, (int)MomentView.RadiusOfGyration);
        var unflagged = Rewritten("no-flag.zip", 4, 1, 0);
        var none = Rewritten("none.zip", 5, 4, (int)MomentView.None);
        var extentTheta = TrainedModel.Vectors(model.Transform(view), "Theta");
        var gyrationTheta = TrainedModel.Vectors(gyration.Transform(view), "Theta");
        Assert.IsTrue(extentTheta.Zip(gyrationTheta).Any(p => Math.Abs(p.First[0] - p.Second[0]) > 1e-3f), "the two views differ on glyphs");
        foreach (var column in Columns)
        {
            TrainedModel.AssertSame(TrainedModel.Vectors(gyration.Transform(view), column), TrainedModel.Vectors(flagged.Transform(view), column), 0, column);
            TrainedModel.AssertSame(TrainedModel.Vectors(none.Transform(view), column), TrainedModel.Vectors(unflagged.Transform(view), column), 0, column);
        }

        var onnx = OnnxRunner.Score(OnnxRunner.Export(ml, flagged, view), test, Glyphs.Name);
        TrainedModel.AssertSame(gyrationTheta, OnnxRunner.Floats(onnx["Theta.output"]), 1e-4, "θ of the radius-of-gyration view in ONNX");
    }

    [TestMethod]
    public void UnknownMomentViewIsReportedAsDamage()
    {
        using var folder = new PersistenceFiles.TempFolder();
        var path = PersistenceFiles.SaveTrainedModel(folder);
        PersistenceFiles.RewriteEntry(path, entry =>
        {
            BinaryPrimitives.WriteInt32LittleEndian(entry.AsSpan(RecipeOffset + FormatThreeRecipeLength), 9);
            return PersistenceFiles.Reseal(entry);
        });
        var e = Assert.Throws<Exception>(() => new MLContext().Model.Load(path, out _));
        StringAssert.Contains(PersistenceFiles.Messages(e), "MomentView 9");
    }

    /// <summary>
    /// With moment normalisation the rectified image defaults to two thirds of the input's side and the localisation
    /// net reads each view at that size (at least the 18 pixels it takes); without it both stay at the input's size,
    /// and a given output size wins. The view's size is read back from the saved model.
    /// </summary>
    [TestMethod]
    [DataRow(true, null, 21, 21)]
    [DataRow(true, 16, 16, 18)]
    [DataRow(true, 40, 40, TrainedModel.Canvas)]
    [DataRow(false, null, TrainedModel.Canvas, TrainedModel.Canvas)]
    public void FramedInputIsRectifiedAndLookedAtTwoThirdsOfItsSize(bool moments, int? output, int expectedOutput, int expectedView)
    {
        var options = TrainedModel.Options();
        options.Epochs = 1;
        options.MomentNormalisation = moments;
        options.OutputHeight = output;
        options.OutputWidth = output;
        var (ml, model, test) = TrainedModel.Train(options);
        var stn = ((IEnumerable<ITransformer>)model).OfType<StnClassifyTransformer>().Single();
        Assert.AreEqual(expectedOutput, stn.OutputHeight);
        Assert.AreEqual(expectedOutput, stn.OutputWidth);
        var view = GlyphData.View(ml, test);
        Assert.IsTrue(TrainedModel.Vectors(model.Transform(view), TrainedModel.RectifiedColumn).All(v => v.Length == expectedOutput * expectedOutput));
        using var folder = new PersistenceFiles.TempFolder();
        var path = folder.File("model.zip");
        ml.Model.Save(model, view.Schema, path);
        var entry = PersistenceFiles.ReadEntry(path);
        int viewSizeOffset = RecipeOffset + RecipeLength - ViewSizeLength;
        Assert.AreEqual(expectedView, BinaryPrimitives.ReadInt32LittleEndian(entry.AsSpan(viewSizeOffset)), "view height");
        Assert.AreEqual(expectedView, BinaryPrimitives.ReadInt32LittleEndian(entry.AsSpan(viewSizeOffset + 4)), "view width");
    }

    [TestMethod]
    public void StoredViewSizeOutOfRangeIsReportedAsDamage()
    {
        using var folder = new PersistenceFiles.TempFolder();
        var path = PersistenceFiles.SaveTrainedModel(folder);
        PersistenceFiles.RewriteEntry(path, entry =>
        {
            BinaryPrimitives.WriteInt32LittleEndian(entry.AsSpan(RecipeOffset + RecipeLength - ViewSizeLength), 0);
            return PersistenceFiles.Reseal(entry);
        });
        var e = Assert.Throws<Exception>(() => new MLContext().Model.Load(path, out _));
        StringAssert.Contains(PersistenceFiles.Messages(e), "view height is 0");
    }

    [TestMethod]
    public void StoredRecipeOutOfRangeIsReportedAsDamage()
    {
        using var folder = new PersistenceFiles.TempFolder();
        var path = PersistenceFiles.SaveTrainedModel(folder);
        PersistenceFiles.RewriteEntry(path, entry =>
        {
            BinaryPrimitives.WriteInt32LittleEndian(entry.AsSpan(RecipeOffset), 0);
            return PersistenceFiles.Reseal(entry);
        });
        var e = Assert.Throws<Exception>(() => new MLContext().Model.Load(path, out _));
        StringAssert.Contains(PersistenceFiles.Messages(e), "refinement step count is 0");
    }

    /// <summary>Batch normalisation exports as ONNX BatchNormalization with the running statistics.</summary>
    [TestMethod]
    public void BatchNormalisedWideModelExportsToOnnx()
    {
        var (ml, model, test) = TrainedModel.Train(Recipe(refinementSteps: 1));
        var view = GlyphData.View(ml, test);
        var onnx = OnnxRunner.Score(OnnxRunner.Export(ml, model, view), test, Glyphs.Name);
        var scored = model.Transform(view);
        TrainedModel.AssertSame(TrainedModel.Vectors(scored, "Score"), OnnxRunner.Floats(onnx["Score.output"]), 1e-4, "Score");
        TrainedModel.AssertSame(TrainedModel.Vectors(scored, "Theta"), OnnxRunner.Floats(onnx["Theta.output"]), 1e-4, "θ");
    }

    /// <summary>
    /// Refinement exports as repeated localisation and sampling with θ composed by MatMul: each step's view of the
    /// whole input, then the rectified image with the final θ. Projective composes 3×3 matrices as they are; the other
    /// kinds give the correction the row (0, 0, 1).
    /// </summary>
    [TestMethod]
    [DataRow(TransformKind.Affine, 2)]
    [DataRow(TransformKind.Attention, 3)]
    [DataRow(TransformKind.Projective, 2)]
    public void RefiningModelExportsToOnnx(TransformKind kind, int refinementSteps)
    {
        var options = Recipe(refinementSteps);
        options.Transform = kind;
        AssertOnnxScoresLikeTorchSharp(options);
    }

    /// <summary>
    /// The moments' view exports with every matrix kind and both corner conventions: the ink's principal axis and
    /// extent as reductions, the view composed with the localisation net's corrections, each scaled to keep the view's
    /// scale. The glyphs are smaller than the canvas, so the view zooms in.
    /// </summary>
    [TestMethod]
    [DataRow(TransformKind.Affine, false, 2)]
    [DataRow(TransformKind.Similarity, true, 1)]
    [DataRow(TransformKind.Attention, false, 2)]
    [DataRow(TransformKind.Translation, true, 1)]
    [DataRow(TransformKind.Projective, false, 2)]
    [DataRow(TransformKind.Projective, true, 1)]
    public void MomentNormalisedModelExportsToOnnx(TransformKind kind, bool alignCorners, int refinementSteps)
    {
        var options = Recipe(refinementSteps);
        (options.Transform, options.AlignCorners, options.MomentNormalisation) = (kind, alignCorners, true);
        var theta = AssertOnnxScoresLikeTorchSharp(options);
        if (kind != TransformKind.Translation)
            Assert.IsTrue(theta.All(t => t[0] < 0.9f), "every view should zoom in on its glyph");
    }

    /// <summary>
    /// With <see cref="TransformKind.Attention"/> the estimator starts from the object's box, which the ONNX export finds
    /// as TorchSharp does: on glyphs among crops of other glyphs (32×32 canvas, 16-pixel glyphs, four 4×4 crops) the
    /// box leaves the crops out, so it is smaller than the ink-extent view that spans them.
    /// </summary>
    [TestMethod]
    public void ObjectBoxOfAttentionExportsToOnnxOnClutter()
    {
        var options = Recipe(refinementSteps: 2);
        options.Transform = TransformKind.Attention;
        var (ml, model, _) = TrainedModel.Train(options);
        var cluttered = GlyphDataset.GenerateCluttered(120, 13, canvasSize: TrainedModel.Canvas, glyphSize: 16, pieces: 4, pieceSide: 4);
        var view = GlyphData.View(ml, cluttered);
        var onnx = OnnxRunner.Score(OnnxRunner.Export(ml, model, view), cluttered, Glyphs.Name);
        var scored = model.Transform(view);
        var theta = TrainedModel.Vectors(scored, "Theta");
        TrainedModel.AssertSame(theta, OnnxRunner.Floats(onnx["Theta.output"]), 1e-4, "θ");
        TrainedModel.AssertSame(TrainedModel.Vectors(scored, "Score"), OnnxRunner.Floats(onnx["Score.output"]), 1e-4, "Score");

        using var images = TorchSharp.torch.tensor(cluttered.Pixels, [cluttered.Count, 1, TrainedModel.Canvas, TrainedModel.Canvas]);
        using var extent = MomentNormalisation.StartTheta(images, TransformKind.Attention, alignCorners: false, MomentView.InkExtent);
        using var box = MomentNormalisation.StartTheta(images, TransformKind.Attention, alignCorners: false, MomentView.ObjectBox);
        Assert.IsLessThan(extent[.., 0, 0].mean().item<float>() * 0.9f, box[.., 0, 0].mean().item<float>(), "the box leaves the clutter out");

        using var folder = new PersistenceFiles.TempFolder();
        var path = folder.File("attention.zip");
        ml.Model.Save(model, view.Schema, path);
        Assert.AreEqual((int)MomentView.ObjectBox, BinaryPrimitives.ReadInt32LittleEndian(PersistenceFiles.ReadEntry(path).AsSpan(RecipeOffset + FormatThreeRecipeLength)),
            "the stored view");
    }

    /// <summary>
    /// Attention with moment normalisation trains without the alignment loss by default (its start, the object's box,
    /// already frames each object): the default trains the same model as an explicit 0, and the weight of 2 that the
    /// other kinds get by default trains another.
    /// </summary>
    [TestMethod]
    public void AttentionFromTheObjectsBoxTrainsWithoutTheAlignmentLoss()
    {
        float[][] Theta(float? alignmentWeight)
        {
            var options = TrainedModel.Options();
            options.Epochs = 1;
            options.Transform = TransformKind.Attention;
            options.AlignmentWeight = alignmentWeight;
            var (ml, model, test) = TrainedModel.Train(options);
            return TrainedModel.Vectors(model.Transform(GlyphData.View(ml, test)), "Theta");
        }

        var byDefault = Theta(null);
        TrainedModel.AssertSame(Theta(0f), byDefault, 0, "θ with the default and with AlignmentWeight 0");
        Assert.IsTrue(Theta(2f).Zip(byDefault).Any(p => p.First.Zip(p.Second).Any(v => Math.Abs(v.First - v.Second) > 1e-4f)),
            "the alignment loss changes the warp");
    }

    private static float[][] AssertOnnxScoresLikeTorchSharp(StnClassifyOptions options)
    {
        var (ml, model, test) = TrainedModel.Train(options);
        var view = GlyphData.View(ml, test);
        var onnx = OnnxRunner.Score(OnnxRunner.Export(ml, model, view), test, Glyphs.Name);
        var scored = model.Transform(view);
        TrainedModel.AssertSame(TrainedModel.Vectors(scored, "Score"), OnnxRunner.Floats(onnx["Score.output"]), 1e-4, "Score");
        TrainedModel.AssertSame(TrainedModel.Vectors(scored, "Theta"), OnnxRunner.Floats(onnx["Theta.output"]), 1e-4, "θ");
        TrainedModel.AssertSame(TrainedModel.Vectors(scored, "BoundingBox"), OnnxRunner.Floats(onnx["BoundingBox.output"]), 1e-4 * TrainedModel.Canvas, "box");
        TrainedModel.AssertSame(TrainedModel.Vectors(scored, TrainedModel.RectifiedColumn),
            OnnxRunner.Floats(onnx[TrainedModel.RectifiedColumn + ".output"]), 255 * 1e-4, "rectified image");
        return TrainedModel.Vectors(scored, "Theta");
    }

    [TestMethod]
    public void BadRecipeIsRefusedByName()
    {
        var ml = new MLContext(1);
        void Refused(Action<StnClassifyOptions> change, params string[] parts)
        {
            var options = TrainedModel.Options();
            change(options);
            var e = Assert.Throws<Exception>(() => ml.Transforms.StnClassify(options));
            foreach (var part in parts)
                Assert.Contains(part, e.Message, $"message should name '{part}': {e.Message}");
        }

        Refused(o => o.RefinementSteps = 0, "RefinementSteps", "0");
        Refused(o => (o.Transform, o.RefinementSteps) = (TransformKind.ThinPlateSpline, 2), "RefinementSteps", "ThinPlateSpline");
        Refused(o => (o.Transform, o.MomentNormalisation) = (TransformKind.ThinPlateSpline, true), "MomentNormalisation", "ThinPlateSpline");
        Refused(o => o.LocalisationWidth = 0, "LocalisationWidth", "0");
        Refused(o => o.AlignmentWeight = -1, "AlignmentWeight", "-1");
        Refused(o => o.AlignmentWeight = float.NaN, "AlignmentWeight", "NaN");
    }
}
