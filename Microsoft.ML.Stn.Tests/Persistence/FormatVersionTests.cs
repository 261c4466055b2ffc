using System.Buffers.Binary;

namespace Microsoft.ML.Stn.Tests.Persistence;

[TestClass]
public sealed class FormatVersionTests
{
    /// <summary>Version, five geometry ints, three enum ints and two booleans come before format 2's two new ints.</summary>
    private const int AddedFieldsOffset = 4 + 5 * 4 + 3 * 4 + 2;

    /// <summary>A format-1 entry is a format-2 entry without the grid size and transformer count: it loads as one affine-era transformer.</summary>
    [TestMethod]
    public void FormatOneModelsStillLoad()
    {
        using var folder = new PersistenceFiles.TempFolder();
        var path = PersistenceFiles.SaveTrainedModel(folder);
        PersistenceFiles.RewriteEntry(path, entry =>
        {
            Assert.AreEqual(2, BinaryPrimitives.ReadInt32LittleEndian(entry), "the current format version");
            Assert.AreEqual(1, BinaryPrimitives.ReadInt32LittleEndian(entry.AsSpan(AddedFieldsOffset + 4)), "stored transformer count");
            var old = entry[..AddedFieldsOffset].Concat(entry[(AddedFieldsOffset + 8)..]).ToArray();
            BinaryPrimitives.WriteInt32LittleEndian(old, 1);
            return old;
        });
        RoundTripTests.AssertScoresIdentically(new MLContext().Model.Load(path, out _));
    }
}
