using System.Security.Cryptography;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.Stn.Persistence;

/// <summary>
/// A binary entry of an ML.NET model zip that starts with its own format version and ends with a SHA-256 of its
/// payload. The zip's CRC only protects the compressed bytes, and a model whose bytes were changed after saving can
/// still parse (a flipped label value, a flipped option), so the payload is verified before any of it is read.
/// </summary>
internal static class ChecksummedEntry
{
    private const int HashLength = 32;

    // *** Binary format ***
    // int: format version
    // long: payload length in bytes
    // payload
    // 32 bytes: SHA-256 of the payload
    public static void Save(ModelSaveContext ctx, string name, int formatVersion, Action<BinaryWriter> writePayload)
    {
        using var payload = new MemoryStream();
        using (var writer = new BinaryWriter(payload, System.Text.Encoding.UTF8, leaveOpen: true))
            writePayload(writer);
        ctx.SaveBinaryStream(name, writer =>
        {
            writer.Write(formatVersion);
            writer.Write(payload.Length);
            writer.Write(payload.GetBuffer(), 0, (int)payload.Length);
            writer.Write(SHA256.HashData(payload.GetBuffer().AsSpan(0, (int)payload.Length)));
        });
    }

    /// <summary>
    /// Reads the entry written by <see cref="Save"/>: refuses versions outside [oldest, current] with a message that
    /// names them, verifies the checksum, then parses the payload. Any failure to parse a verified payload is reported
    /// as a damaged entry too, naming <paramref name="component"/> and the entry. <paramref name="readPayload"/> gets
    /// the payload and its format version.
    /// </summary>
    public static T Load<T>(IExceptionContext ectx, ModelLoadContext ctx, string name, string component,
        int oldestVersion, int currentVersion, Func<BinaryReader, int, T> readPayload)
    {
        T result = default!;
        bool found = ctx.TryLoadBinaryStream(name, reader =>
        {
            byte[] payload;
            int version;
            try
            {
                version = reader.ReadInt32();
                if (version < oldestVersion || version > currentVersion)
                {
                    throw ectx.Except(
                        "{0}: the model's entry '{1}' was written in format version {2}; this version of Microsoft.ML.Stn reads " +
                        "format versions {3} to {4}. {5}", component, name, version, oldestVersion, currentVersion,
                        version > currentVersion
                            ? "Update the Microsoft.ML.Stn package to load it."
                            : "It is an older format: load it with the Microsoft.ML.Stn version that saved it, or train the model again.");
                }
                long length = reader.ReadInt64();
                // The length is outside the checksum, so it is checked against the bytes that follow rather than trusted
                // with an allocation of its size.
                using var rest = new MemoryStream();
                reader.BaseStream.CopyTo(rest);
                if (length < 0 || length + HashLength > rest.Length)
                    throw new EndOfStreamException($"the entry ends early for its payload length {length}");
                if (length + HashLength < rest.Length)
                    throw new InvalidDataException($"{rest.Length - length - HashLength} bytes follow the checksum");
                payload = rest.GetBuffer().AsSpan(0, (int)length).ToArray();
                var hash = rest.GetBuffer().AsSpan((int)length, HashLength);
                if (!SHA256.HashData(payload).AsSpan().SequenceEqual(hash))
                    throw new InvalidDataException("its checksum does not match its contents");
            }
            catch (Exception e) when (e is EndOfStreamException or InvalidDataException or IOException)
            {
                throw Damaged(component, name, e);
            }
            using var payloadReader = new BinaryReader(new MemoryStream(payload, writable: false));
            try
            {
                result = readPayload(payloadReader, version);
            }
            // A verified payload that does not parse was written by a broken writer; say which entry all the same.
            catch (Exception e) when (e is EndOfStreamException or IOException or ArgumentException or OverflowException
                or InvalidDataException or System.Runtime.InteropServices.ExternalException or OutOfMemoryException)
            {
                throw Damaged(component, name, e);
            }
        });
        if (!found)
            throw ectx.Except("{0}: the model has no '{1}' entry; the file is incomplete or not an StnClassify model.", component, name);
        return result;
    }

    private static InvalidDataException Damaged(string component, string name, Exception e) =>
        new($"{component}: the model entry '{name}' is corrupted or truncated ({e.Message.Split('\n', 2)[0].Trim()}).", e);
}
