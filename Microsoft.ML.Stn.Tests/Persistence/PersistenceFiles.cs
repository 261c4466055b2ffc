using System.IO.Compression;
using System.Text;
using Microsoft.ML.Stn.Tests.MLNet;

namespace Microsoft.ML.Stn.Tests.Persistence;

/// <summary>Temporary folders, model files and the pieces of our zip entry that the persistence tests look inside.</summary>
internal static class PersistenceFiles
{
    public const string EntrySuffix = "StnModel.bin";

    /// <summary>A fresh folder that is removed when disposed, so failed runs do not leave gigabytes of models behind.</summary>
    public sealed class TempFolder : IDisposable
    {
        public TempFolder()
        {
            Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "stn-persistence-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(Path);
        }

        public string Path { get; }

        public string File(string name) => System.IO.Path.Combine(Path, name);

        public void Dispose()
        {
            try { Directory.Delete(Path, recursive: true); }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
    }

    /// <summary>Every message down the inner-exception chain, since ML.NET wraps what a loader throws.</summary>
    public static string Messages(Exception e)
    {
        var text = new StringBuilder();
        for (Exception? x = e; x is not null; x = x.InnerException)
            text.Append(x.GetType().Name).Append(": ").Append(x.Message).Append('\n');
        if (e is AggregateException aggregate)
        {
            foreach (var inner in aggregate.InnerExceptions) text.Append(Messages(inner));
        }
        return text.ToString();
    }

    public static string SaveTrainedModel(TempFolder folder, string name = "model.zip")
    {
        var path = folder.File(name);
        TrainedModel.Ml.Model.Save(TrainedModel.Model, TrainedModel.TestView.Schema, path);
        return path;
    }

    /// <summary>The shared trained model saved to memory and loaded back in a new MLContext.</summary>
    public static ITransformer RoundTripThroughStream(out DataViewSchema inputSchema)
    {
        using var stream = new MemoryStream();
        TrainedModel.Ml.Model.Save(TrainedModel.Model, TrainedModel.TestView.Schema, stream);
        stream.Position = 0;
        return new MLContext().Model.Load(stream, out inputSchema);
    }

    public static byte[] ReadEntry(string zipPath)
    {
        using var zip = ZipFile.OpenRead(zipPath);
        using var stream = FindEntry(zip).Open();
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    /// <summary>Replaces the bytes of our entry in place, the way a damaged or tampered file would look.</summary>
    public static void RewriteEntry(string zipPath, Func<byte[], byte[]> rewrite)
    {
        var bytes = rewrite(ReadEntry(zipPath));
        using var zip = ZipFile.Open(zipPath, ZipArchiveMode.Update);
        var entry = FindEntry(zip);
        var name = entry.FullName;
        entry.Delete();
        using var stream = zip.CreateEntry(name).Open();
        stream.Write(bytes);
    }

    private static ZipArchiveEntry FindEntry(ZipArchive zip)
    {
        var entries = zip.Entries.Where(e => e.FullName.EndsWith(EntrySuffix, StringComparison.Ordinal)).ToList();
        Assert.HasCount(1, entries, "the model zip holds exactly one STN entry");
        return entries[0];
    }

    /// <summary>One stored tensor of the entry: name, shape and where its float values start.</summary>
    public sealed record StoredTensor(string Name, long[] Shape, long Offset)
    {
        public long Elements => Shape.Aggregate(1L, (a, b) => a * b);

        public string ShapeText => "[" + string.Join(", ", Shape) + "]";
    }

    /// <summary>
    /// Walks the entry as the format documents it (header, column names, label keys, batch size, tensors), independently
    /// of the library's reader, so the tests can tell which bytes they are damaging.
    /// </summary>
    public static IReadOnlyList<StoredTensor> Tensors(byte[] entry)
    {
        using var reader = new BinaryReader(new MemoryStream(entry), Encoding.UTF8);
        reader.ReadInt32();
        for (int i = 0; i < 5 + 3; i++) reader.ReadInt32();
        reader.ReadBoolean();
        reader.ReadBoolean();
        reader.ReadInt32(); // control-point grid size
        reader.ReadInt32(); // transformer count
        for (int i = 0; i < 5; i++) reader.ReadString();
        int classes = reader.ReadInt32();
        int code = reader.ReadInt32();
        Assert.AreEqual(0, code, "TrainedModel's labels are text, stored as strings");
        for (int i = 0; i < classes; i++) reader.ReadString();
        reader.ReadInt32();
        int count = reader.ReadInt32();
        var tensors = new List<StoredTensor>();
        for (int t = 0; t < count; t++)
        {
            string name = reader.ReadString();
            var shape = new long[reader.ReadInt32()];
            for (int d = 0; d < shape.Length; d++) shape[d] = reader.ReadInt64();
            var tensor = new StoredTensor(name, shape, reader.BaseStream.Position);
            reader.BaseStream.Seek(tensor.Elements * sizeof(float), SeekOrigin.Current);
            tensors.Add(tensor);
        }
        Assert.AreEqual(entry.Length, reader.BaseStream.Position, "the tensors end the entry");
        return tensors;
    }
}
