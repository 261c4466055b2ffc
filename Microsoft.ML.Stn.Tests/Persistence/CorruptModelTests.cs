using System.Buffers.Binary;
using Microsoft.ML.Stn.Tests.MLNet;

namespace Microsoft.ML.Stn.Tests.Persistence;

[TestClass]
public sealed class CorruptModelTests
{
    private const string Component = "Microsoft.ML.Stn";

    private const int PayloadOffset = PersistenceFiles.PayloadOffset;

    /// <summary>In the payload: channels, height, width, then the output height the sampler's grid is built for.</summary>
    private const int OutputHeightOffset = 12;

    /// <summary>The six geometry ints (channels, sizes, class count) that start the payload.</summary>
    private const int GeometryBytes = 24;

    /// <summary>The geometry, transform kind, sampling and padding, then the AlignCorners flag.</summary>
    private const int AlignCornersOffset = GeometryBytes + 12;

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
    public void AnyChangedByteIsCaughtByTheChecksum()
    {
        using var folder = new PersistenceFiles.TempFolder();
        var path = PersistenceFiles.SaveTrainedModel(folder);
        int length = PersistenceFiles.ReadEntry(path).Length;
        // The geometry, the AlignCorners flag, the label key values near the end, a weight in the middle, and the
        // checksum itself: each of these once loaded silently or changed the scores.
        int payloadEnd = length - PersistenceFiles.HashLength;
        foreach (int offset in new[] { PayloadOffset + 4, PayloadOffset + AlignCornersOffset, payloadEnd - 40, length / 2, length - 1 })
        {
            var copy = folder.File($"flipped-{offset}.zip");
            File.Copy(path, copy);
            PersistenceFiles.RewriteEntry(copy, entry =>
            {
                entry[offset] ^= 0x01;
                return entry;
            });
            Mentions(LoadFails(copy), "StnModel.bin", "checksum");
        }
    }

    /// <summary>The payload's length is read before the checksum can vouch for it: a wrong one is caught, not allocated.</summary>
    [TestMethod]
    [DataRow(int.MaxValue)]
    [DataRow(-1L)]
    [DataRow(100L)]
    public void WrongPayloadLengthNamesTheComponent(long length)
    {
        using var folder = new PersistenceFiles.TempFolder();
        var path = PersistenceFiles.SaveTrainedModel(folder);
        PersistenceFiles.RewriteEntry(path, entry =>
        {
            BitConverter.TryWriteBytes(entry.AsSpan(sizeof(int), sizeof(long)), length);
            return entry;
        });
        Mentions(LoadFails(path), "StnModel.bin", "corrupted or truncated");
    }

    [TestMethod]
    public void GarbageGeometryBehindAValidChecksumNamesTheComponent()
    {
        using var folder = new PersistenceFiles.TempFolder();
        var path = PersistenceFiles.SaveTrainedModel(folder);
        PersistenceFiles.RewriteEntry(path, entry =>
        {
            // Huge but positive sizes: the loader must refuse them rather than try to allocate such a network.
            entry.AsSpan(PayloadOffset, GeometryBytes).Fill(0x5A);
            return PersistenceFiles.Reseal(entry);
        });
        Mentions(LoadFails(path), "StnModel.bin", "corrupted");
    }

    [TestMethod]
    public void UnknownTransformKindNamesTheComponent()
    {
        using var folder = new PersistenceFiles.TempFolder();
        var path = PersistenceFiles.SaveTrainedModel(folder);
        PersistenceFiles.RewriteEntry(path, entry =>
        {
            BinaryPrimitives.WriteInt32LittleEndian(entry.AsSpan(PayloadOffset + GeometryBytes), 77);
            return PersistenceFiles.Reseal(entry);
        });
        Mentions(LoadFails(path), "StnModel.bin", "TransformKind 77");
    }

    [TestMethod]
    [DataRow(99, "Update the Microsoft.ML.Stn package")]
    [DataRow(1, "older format")]
    public void UnsupportedFormatVersionNamesTheSupportedVersions(int version, string advice)
    {
        using var folder = new PersistenceFiles.TempFolder();
        var path = PersistenceFiles.SaveTrainedModel(folder);
        PersistenceFiles.RewriteEntry(path, entry =>
        {
            Assert.AreEqual(6, BinaryPrimitives.ReadInt32LittleEndian(entry), "the current format version");
            BinaryPrimitives.WriteInt32LittleEndian(entry, version);
            return entry;
        });
        var e = LoadFails(path);
        var ours = Chain(e).FirstOrDefault(x => x.Message.StartsWith(Component, StringComparison.Ordinal));
        Assert.IsNotNull(ours, PersistenceFiles.Messages(e));
        foreach (var part in new[] { "StnModel.bin", $"format version {version}", "2 to 6", advice })
            Assert.Contains(part, ours.Message, PersistenceFiles.Messages(e));
    }

    [TestMethod]
    public void WeightsThatDisagreeWithTheArchitectureNameTheComponent()
    {
        using var folder = new PersistenceFiles.TempFolder();
        var path = PersistenceFiles.SaveTrainedModel(folder);
        PersistenceFiles.RewriteEntry(path, entry =>
        {
            var outputHeight = entry.AsSpan(PayloadOffset + OutputHeightOffset);
            Assert.AreEqual(TrainedModel.Transformer.OutputHeight, BinaryPrimitives.ReadInt32LittleEndian(outputHeight), "stored output height");
            BinaryPrimitives.WriteInt32LittleEndian(outputHeight, TrainedModel.Transformer.OutputHeight / 2);
            return PersistenceFiles.Reseal(entry);
        });
        Mentions(LoadFails(path), "StnModel.bin", "corrupted");
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
