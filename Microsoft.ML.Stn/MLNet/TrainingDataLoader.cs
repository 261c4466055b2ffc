using Microsoft.ML.Runtime;
using Microsoft.ML.Stn.Training;
using static TorchSharp.torch;

namespace Microsoft.ML.Stn.MLNet;

/// <summary>
/// Reads a whole IDataView with one cursor into one float tensor of images and one tensor of class indices. Memory:
/// 4 × rows × channels × height × width bytes (plus a transient copy while the tensor is made).
/// </summary>
internal static class TrainingDataLoader
{
    /// <summary>Loads <c>data</c>; <c>role</c> ("training" or "validation") names the data in messages.</summary>
    public static LabelledImageTensors Load(IChannel channel, IDataView data, ImageInput image,
        DataViewSchema.Column label, LabelKeys labelKeys, string role)
    {
        var seen = new bool[labelKeys.Count];
        int pixels = image.PixelCount;
        long? knownRows = data.GetRowCount();
        var buffer = new float[pixels * (int)Math.Clamp(knownRows ?? 1024, 1, int.MaxValue / pixels)];
        var labels = new List<long>((int)Math.Min(knownRows ?? 1024, int.MaxValue));
        long skipped = 0;
        using (var cursor = data.GetRowCursor(new[] { image.Column, label }))
        {
            using var reader = image.CreateReader(cursor);
            var labelGetter = cursor.GetGetter<uint>(label);
            uint key = 0;
            while (cursor.MoveNext())
            {
                labelGetter(ref key);
                if (key == 0)
                {
                    skipped++;
                    continue;
                }
                int row = labels.Count;
                if ((long)(row + 1) * pixels > buffer.Length)
                    Array.Resize(ref buffer, (int)Math.Min((long)buffer.Length * 2, int.MaxValue / pixels * (long)pixels));
                var destination = buffer.AsSpan(row * pixels, pixels);
                reader.Read(destination);
                int bad = IndexOfNonFinite(destination);
                if (bad >= 0)
                {
                    throw channel.Except(
                        "Feature column '{0}' of the {1} data has a non-finite value ({2}) at row {3}, pixel {4}; " +
                        "StnClassify needs finite pixel values: remove or repair such rows first.",
                        image.Column.Name, role, destination[bad], cursor.Position, bad);
                }
                labels.Add(key - 1);
                if (key <= seen.Length) seen[key - 1] = true;
            }
        }
        if (skipped > 0)
            channel.Warning("Skipped {0} {1} rows whose label in column '{2}' is missing.", skipped, role, label.Name);
        if (labels.Count == 0)
            throw channel.Except("The {0} data has no rows with a label in column '{1}': StnClassify needs at least one.", role, label.Name);
        if (role == "training" && seen.Count(s => s) < 2)
        {
            throw channel.Except("The training data has a single class ('{0}') in label column '{1}'; a classifier needs at least two.",
                labelKeys.Name(Array.IndexOf(seen, true)), label.Name);
        }
        int count = labels.Count;
        var images = tensor(buffer.AsMemory(0, count * pixels), new long[] { count, image.Channels, image.Height, image.Width });
        return new LabelledImageTensors(images, tensor(labels.ToArray()));
    }

    private static int IndexOfNonFinite(ReadOnlySpan<float> values)
    {
        for (int i = 0; i < values.Length; i++)
            if (!float.IsFinite(values[i])) return i;
        return -1;
    }
}
