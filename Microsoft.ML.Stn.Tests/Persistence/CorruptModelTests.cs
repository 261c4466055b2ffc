using System.Buffers.Binary;
using Microsoft.ML.Stn.Tests.MLNet;

namespace Microsoft.ML.Stn.Tests.Persistence;

[TestClass]
public sealed class CorruptModelTests
{
    private const string Component = "Microsoft.ML.Stn";

    /// <summary>version, channels, height, width, then the output height the sampler's grid is built for.</summary>
    private const int OutputHeightOffset = 16;

    /// <summary>Format version and the five geometry ints; everything after them is network-specific.</summary>
    private const int GeometryBytes = 24;

    private static Exception LoadFails(string path) =>
        Assert.Throws<Exception>(() => new MLContext().Model.Load(path, out _), "loading a damaged model must throw");

    /// <summary>
    /// Our own error somewhere in ML.NET's wrapping. Only its message counts: native frames in other messages carry
    /// file paths that contain the component's name too.
    /// </summary>
    private static void Mentions(Exception e, params string[] parts)
    {
        var all = PersistenceFiles.Messages(e);
        var ours = Chain(e).OfType<InvalidDataException>().FirstOrDefault(x => x.Message.StartsWith(Component, StringComparison.Ordinal));
        Assert.IsNotNull(ours, $"an InvalidDataException from {Component} in the chain:\n{all}");
        foreach (var part in parts)
            Assert.Contains(part, ours.Message, $"the error should name '{part}':\n{all}");
    }

    private static IEnumerable<Exception> Chain(Exception e)
    {
        for (Exception? x = e; x is not null; x = x.InnerException) yield return x;
    }

    [TestMethod]
    public void TruncatedZipThrows()
    {
        using var folder = new PersistenceFiles.TempFolder();
        var path = PersistenceFiles.SaveTrainedModel(folder);
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes.AsSpan(0, bytes.Length / 2).ToArray());
        var e = LoadFails(path);
        Assert.IsFalse(string.IsNullOrWhiteSpace(e.Message), "the exception explains itself");
    }

    [TestMethod]
    public void TruncatedEntryNamesTheComponent()
    {
        using var folder = new PersistenceFiles.TempFolder();
        var path = PersistenceFiles.SaveTrainedModel(folder);
        PersistenceFiles.RewriteEntry(path, entry => entry.AsSpan(0, entry.Length / 2).ToArray());
        Mentions(LoadFails(path), "StnModel.bin", "corrupted or truncated");
    }

    [TestMethod]
    public void GarbageAfterTheGeometryNamesTheComponent()
    {
        using var folder = new PersistenceFiles.TempFolder();
        var path = PersistenceFiles.SaveTrainedModel(folder);
        PersistenceFiles.RewriteEntry(path, entry =>
        {
            entry.AsSpan(GeometryBytes).Fill(0xA5);
            return entry;
        });
        Mentions(LoadFails(path), "TransformKind");
    }

    [TestMethod]
    public void GarbageGeometryNamesTheComponent()
    {
        using var folder = new PersistenceFiles.TempFolder();
        var path = PersistenceFiles.SaveTrainedModel(folder);
        PersistenceFiles.RewriteEntry(path, entry =>
        {
            // Huge but positive sizes: the loader must refuse them rather than try to allocate such a network.
            entry.AsSpan(sizeof(int), GeometryBytes - sizeof(int)).Fill(0x5A);
            return entry;
        });
        Mentions(LoadFails(path), "StnModel.bin");
    }

    [TestMethod]
    public void UnknownFormatVersionNamesTheSupportedVersions()
    {
        using var folder = new PersistenceFiles.TempFolder();
        var path = PersistenceFiles.SaveTrainedModel(folder);
        PersistenceFiles.RewriteEntry(path, entry =>
        {
            Assert.AreEqual(2, BinaryPrimitives.ReadInt32LittleEndian(entry), "the current format version");
            BinaryPrimitives.WriteInt32LittleEndian(entry, 99);
            return entry;
        });
        Mentions(LoadFails(path), "99", "1 to 2");
    }

    [TestMethod]
    public void WeightsThatDisagreeWithTheArchitectureNameTheTensorAndBothShapes()
    {
        using var folder = new PersistenceFiles.TempFolder();
        var path = PersistenceFiles.SaveTrainedModel(folder);
        var stored = PersistenceFiles.Tensors(PersistenceFiles.ReadEntry(path));
        PersistenceFiles.RewriteEntry(path, entry =>
        {
            Assert.AreEqual(TrainedModel.Canvas, BinaryPrimitives.ReadInt32LittleEndian(entry.AsSpan(OutputHeightOffset)), "stored output height");
            BinaryPrimitives.WriteInt32LittleEndian(entry.AsSpan(OutputHeightOffset), TrainedModel.Canvas / 2);
            return entry;
        });

        var e = LoadFails(path);
        Mentions(e, "weights");
        var message = Chain(e).OfType<InvalidDataException>().First().Message;
        var named = stored.Where(t => message.Contains($"'{t.Name}'", StringComparison.Ordinal)).ToList();
        Assert.HasCount(1, named, $"the error should name the one mismatching weight tensor: {message}");
        Assert.Contains(named[0].ShapeText, message, $"the stored shape of {named[0].Name}: {message}");
        var shapes = System.Text.RegularExpressions.Regex.Matches(message, @"\[\d+(, \d+)*\]").Select(m => m.Value).Distinct().ToList();
        Assert.HasCount(2, shapes, $"both the stored and the expected shape: {message}");
    }

    [TestMethod]
    public void SavingIntoAMissingDirectoryThrowsAndLeavesNoFile()
    {
        using var folder = new PersistenceFiles.TempFolder();
        var path = Path.Combine(folder.Path, "missing", "model.zip");
        var e = Assert.Throws<Exception>(() => TrainedModel.Ml.Model.Save(TrainedModel.Model, TrainedModel.TestView.Schema, path));
        Assert.IsInstanceOfType<IOException>(e, PersistenceFiles.Messages(e));
        Assert.IsFalse(File.Exists(path), "no file at the unwritable path");
        Assert.IsFalse(Directory.Exists(Path.GetDirectoryName(path)), "no directory created either");
    }

    [TestMethod]
    public void SavingOntoADirectoryThrowsAndLeavesItAlone()
    {
        using var folder = new PersistenceFiles.TempFolder();
        var path = folder.File("a-directory");
        Directory.CreateDirectory(path);
        var e = Assert.Throws<Exception>(() => TrainedModel.Ml.Model.Save(TrainedModel.Model, TrainedModel.TestView.Schema, path));
        Assert.IsTrue(e is IOException or UnauthorizedAccessException, PersistenceFiles.Messages(e));
        Assert.IsFalse(File.Exists(path), "no file at the path");
        Assert.IsTrue(Directory.Exists(path), "the directory is still there");
        Assert.IsEmpty(Directory.GetFileSystemEntries(path), "and nothing was written into it");
    }

    [TestMethod]
    public void FailedSaveLeavesAnExistingGoodModelIntact()
    {
        using var folder = new PersistenceFiles.TempFolder();
        var good = PersistenceFiles.SaveTrainedModel(folder);
        var before = File.ReadAllBytes(good);
        var bad = folder.File("a-directory");
        Directory.CreateDirectory(bad);
        Assert.Throws<Exception>(() => TrainedModel.Ml.Model.Save(TrainedModel.Model, TrainedModel.TestView.Schema, bad));
        Assert.Throws<Exception>(() => TrainedModel.Ml.Model.Save(TrainedModel.Model, TrainedModel.TestView.Schema, Path.Combine(good, "model.zip")));

        CollectionAssert.AreEqual(before, File.ReadAllBytes(good), "the good model's bytes");
        RoundTripTests.AssertScoresIdentically(new MLContext().Model.Load(good, out _));
    }
}
