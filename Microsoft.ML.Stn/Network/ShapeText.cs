namespace Microsoft.ML.Stn.Network;

/// <summary>Formats tensor shapes for error messages, e.g. "[3, 28, 28]".</summary>
internal static class ShapeText
{
    internal static string Of(ReadOnlySpan<long> shape)
    {
        var parts = new string[shape.Length];
        for (int i = 0; i < shape.Length; i++)
        {
            parts[i] = shape[i].ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return "[" + string.Join(", ", parts) + "]";
    }
}
