using Microsoft.ML.Stn.Network;
using static TorchSharp.torch;

namespace Microsoft.ML.Stn.Onnx;

/// <summary>
/// The grid generator and the sampler as opset-12 operators: θ maps the constant target grid to source coordinates
/// (a thin-plate spline's grid is the export's own), which are unnormalised, padded and read with Gather, tap by tap,
/// with the same formulas and in the same order as libtorch's <c>grid_sample</c> (bilinear, nearest) and our bicubic
/// <see cref="Sampler"/>.
/// </summary>
/// <remarks>
/// ONNX's GridSample (opset 16) is out of reach inside ML.NET's converter, which is capped at opset 12. Composing
/// the sampler from Gather and arithmetic also pins the semantics to ours: every mode, padding and corner convention
/// exports, and the taps outside the image are masked exactly where libtorch masks them.
/// </remarks>
internal static class OnnxSampler
{
    private const float CubicA = -0.75f;

    /// <summary>Warps images <paramref name="image"/> [N, C, H, W] with θ <paramref name="theta"/> [N, r, 3]; returns [N, C, H′, W′].</summary>
    public static string Warp(OnnxGraph g, StnArchitecture a, string image, string theta) =>
        Warp(g, a, image, theta, a.OutputHeight, a.OutputWidth);

    /// <summary>The same, with another output size: the size of a look's view (<see cref="StnArchitecture.ViewSize"/>).</summary>
    public static string Warp(OnnxGraph g, StnArchitecture a, string image, string theta, int outputHeight, int outputWidth)
    {
        var (x, y) = SourceCoordinates(g, a, theta, outputHeight, outputWidth);
        return Sample(g, a, image, x, y, outputHeight, outputWidth);
    }

    /// <summary>
    /// Reads images <paramref name="image"/> [N, C, H, W] at normalised source coordinates <paramref name="x"/> and
    /// <paramref name="y"/> [N, H′·W′] (the grid, however it was generated); returns [N, C, H′, W′].
    /// </summary>
    public static string Sample(OnnxGraph g, StnArchitecture a, string image, string x, string y, int outputHeight, int outputWidth)
    {
        long c = a.Channels, h = a.Height, w = a.Width, outH = outputHeight, outW = outputWidth;

        // Rows of C values, one per pixel of every image, so that one Gather reads all channels of a tap.
        var pixels = g.Reshape("pixels", g.Op("Transpose", "channels_last", n => n.AddAttribute("perm", new long[] { 0, 2, 3, 1 }), image), -1, c);
        var batch = g.Op("Gather", "batch", n => n.AddAttribute("axis", 0L), g.Op("Shape", "image_shape", image), g.Long("zero", 0));
        var firstRow = g.Unsqueeze("first_row", g.Mul("image_offset",
            g.Op("Range", "image_index", g.Long("range_start", 0), batch, g.Long("range_step", 1)), g.Long("image_pixels", h * w)), 1);

        var columns = Axis(g, a, "x", x, w);
        var rows = Axis(g, a, "y", y, h);

        string? sum = null;
        for (int j = 0; j < rows.Length; j++)
        {
            var rowStart = g.Add($"row{j}.start", g.Mul($"row{j}.offset", rows[j].Index, g.Long($"row{j}.width", w)), firstRow);
            for (int i = 0; i < columns.Length; i++)
            {
                var index = g.Add($"tap{j}{i}.index", rowStart, columns[i].Index);
                var values = g.Op("Gather", $"tap{j}{i}.values", n => n.AddAttribute("axis", 0L), pixels, index);
                // Masks are 0 or 1, so folding them into each axis's weight before the product changes no bit.
                var weight = g.Unsqueeze($"tap{j}{i}.weight", g.Mul($"tap{j}{i}.weight2d", columns[i].Weight, rows[j].Weight), 2);
                var term = g.Mul($"tap{j}{i}.term", values, weight);
                sum = sum is null ? term : g.Add($"tap{j}{i}.sum", sum, term);
            }
        }

        var planar = g.Op("Transpose", "planar", n => n.AddAttribute("perm", new long[] { 0, 2, 1 }), sum!);
        return g.Reshape("warped", planar, -1, c, outH, outW);
    }

    /// <summary>Normalised source (x, y) of every output pixel, each [N, H′·W′]: θ applied to the target grid.</summary>
    private static (string X, string Y) SourceCoordinates(OnnxGraph g, StnArchitecture a, string theta, int outputHeight, int outputWidth)
    {
        // The target grid depends only on the size, so warps of one size (every look's view) share one.
        var target = g.Shared($"target_grid.{outputHeight}x{outputWidth}", () =>
        {
            using var grid = GridGenerator.TargetGrid(outputHeight, outputWidth, a.AlignCorners, ScalarType.Float32);
            return g.Floats("target_grid", grid.data<float>().ToArray(), (long)outputHeight * outputWidth, 3);
        });
        var thetaT = g.Op("Transpose", "theta_t", n => n.AddAttribute("perm", new long[] { 0, 2, 1 }), theta);
        var source = g.Op("MatMul", "source", target, thetaT);
        var x = g.Take("source_x", source, 0, 2);
        var y = g.Take("source_y", source, 1, 2);
        if (a.Transform != TransformKind.Projective)
            return (x, y);
        var depth = g.Take("source_w", source, 2, 2);
        return (g.Div("source_x_projected", x, depth), g.Div("source_y_projected", y, depth));
    }

    /// <summary>The taps along one axis: the clamped integer index of each and its weight, zero where the tap is masked.</summary>
    private static (string Index, string Weight)[] Axis(OnnxGraph g, StnArchitecture a, string axis, string coordinate, long size) =>
        a.Sampling switch
        {
            SamplingMode.Bilinear => Bilinear(g, a, axis, coordinate, size),
            SamplingMode.Nearest => Nearest(g, a, axis, coordinate, size),
            SamplingMode.Bicubic => Bicubic(g, a, axis, coordinate, size),
            _ => throw new NotSupportedException($"StnClassify cannot export Sampling = {a.Sampling} to ONNX."),
        };

    private static (string, string)[] Bilinear(OnnxGraph g, StnArchitecture a, string axis, string coordinate, long size)
    {
        var position = Padded(g, a, axis, Unnormalised(g, a.AlignCorners, axis, coordinate, size), size);
        var low = g.Op("Floor", $"{axis}.floor", position);
        var high = g.Add($"{axis}.ceil", low, g.Float($"{axis}.one", 1f));
        var fraction = g.Sub($"{axis}.fraction", position, low);
        var lowWeight = g.Sub($"{axis}.low_weight", g.Float($"{axis}.one_", 1f), fraction);
        return new[] { Tap(g, $"{axis}0", low, lowWeight, size), Tap(g, $"{axis}1", high, fraction, size) };
    }

    private static (string, string)[] Nearest(OnnxGraph g, StnArchitecture a, string axis, string coordinate, long size)
    {
        // Round is round-half-to-even, like libtorch's nearbyint.
        var position = g.Op("Round", $"{axis}.round", Padded(g, a, axis, Unnormalised(g, a.AlignCorners, axis, coordinate, size), size));
        return new[] { Tap(g, $"{axis}0", position, null, size) };
    }

    /// <summary>Our bicubic sampler: Keys weights of the unpadded fraction, padding applied to each of the four taps.</summary>
    private static (string, string)[] Bicubic(OnnxGraph g, StnArchitecture a, string axis, string coordinate, long size)
    {
        var one = g.Float($"{axis}.one", 1f);
        var pixel = a.AlignCorners
            ? g.Mul($"{axis}.pixel", g.Add($"{axis}.shifted", coordinate, one), g.Float($"{axis}.half_span", (size - 1) / 2f))
            : g.Div($"{axis}.pixel", g.Sub($"{axis}.pixel2", g.Mul($"{axis}.scaled", g.Add($"{axis}.shifted", coordinate, one), g.Float($"{axis}.size", size)), one), g.Float($"{axis}.two", 2f));
        var low = g.Op("Floor", $"{axis}.floor", pixel);
        var t = g.Sub($"{axis}.fraction", pixel, low);
        var weights = new[]
        {
            Far(g, $"{axis}.w0", g.Add($"{axis}.d0", t, one)),
            Near(g, $"{axis}.w1", t),
            Near(g, $"{axis}.w2", g.Sub($"{axis}.d2", one, t)),
            Far(g, $"{axis}.w3", g.Sub($"{axis}.d3", g.Float($"{axis}.two_", 2f), t)),
        };
        var taps = new (string, string)[4];
        for (int k = 0; k < 4; k++)
        {
            var position = g.Add($"{axis}.tap{k}", low, g.Float($"{axis}.offset{k}", k - 1));
            taps[k] = Tap(g, $"{axis}{k}", Padded(g, a, $"{axis}{k}", position, size), weights[k], size);
        }
        return taps;
    }

    private static string Near(OnnxGraph g, string name, string d)
    {
        var inner = g.Sub($"{name}.a", g.Mul($"{name}.b", d, g.Float($"{name}.c", CubicA + 2f)), g.Float($"{name}.d", CubicA + 3f));
        return g.Add(name, g.Mul($"{name}.f", g.Mul($"{name}.e", inner, d), d), g.Float($"{name}.g", 1f));
    }

    private static string Far(OnnxGraph g, string name, string d)
    {
        var inner = g.Sub($"{name}.a", g.Mul($"{name}.b", d, g.Float($"{name}.c", CubicA)), g.Float($"{name}.d", 5f * CubicA));
        var middle = g.Add($"{name}.e", g.Mul($"{name}.f", inner, d), g.Float($"{name}.g", 8f * CubicA));
        return g.Sub(name, g.Mul($"{name}.h", middle, d), g.Float($"{name}.i", 4f * CubicA));
    }

    /// <summary>libtorch's unnormalisation of grid_sample (the vectorised CPU kernel's form).</summary>
    private static string Unnormalised(OnnxGraph g, bool alignCorners, string axis, string coordinate, long size)
    {
        var shifted = g.Add($"{axis}.shifted", coordinate, g.Float($"{axis}.one", 1f));
        return alignCorners
            ? g.Mul($"{axis}.pixel", shifted, g.Float($"{axis}.half_span", (size - 1) / 2f))
            : g.Sub($"{axis}.pixel", g.Mul($"{axis}.scaled", shifted, g.Float($"{axis}.half_size", size / 2f)), g.Float($"{axis}.half", 0.5f));
    }

    /// <summary>Border clamps into the image; reflection reflects by the border (pixel centres with aligned corners, outer edges otherwise), then clamps.</summary>
    private static string Padded(OnnxGraph g, StnArchitecture a, string axis, string position, long size)
    {
        if (a.Padding == PaddingMode.Zeros)
            return position;
        if (a.Padding == PaddingMode.Border)
            return Clip(g, $"{axis}.border", position, size);
        if (a.Padding != PaddingMode.Reflection)
            throw new NotSupportedException($"StnClassify cannot export Padding = {a.Padding} to ONNX.");

        float low = a.AlignCorners ? 0f : -0.5f;
        float span = a.AlignCorners ? size - 1 : size;
        if (span <= 0)
            throw new NotSupportedException($"StnClassify cannot export reflection padding of a side of {size} pixel with AlignCorners = true.");
        var lowValue = g.Float($"{axis}.reflect_low", low);
        var spanValue = g.Float($"{axis}.reflect_span", span);
        var distance = g.Op("Abs", $"{axis}.distance", g.Sub($"{axis}.from_low", position, lowValue));
        var extra = g.Op("Mod", $"{axis}.extra", n => n.AddAttribute("fmod", 1L), distance, spanValue);
        var flips = g.Op("Floor", $"{axis}.flips", g.Div($"{axis}.spans", distance, spanValue));
        var even = g.Op("Equal", $"{axis}.even", g.Op("Mod", $"{axis}.parity", n => n.AddAttribute("fmod", 1L), flips, g.Float($"{axis}.two", 2f)), g.Float($"{axis}.zero", 0f));
        var forward = g.Add($"{axis}.forward", extra, lowValue);
        var backward = g.Add($"{axis}.backward", g.Sub($"{axis}.back", spanValue, extra), lowValue);
        return Clip(g, $"{axis}.reflected", g.Op("Where", $"{axis}.reflect", even, forward, backward), size);
    }

    private static string Clip(OnnxGraph g, string name, string x, long size) =>
        g.Op("Clip", name, x, g.Float($"{name}.min", 0f), g.Float($"{name}.max", size - 1));

    /// <summary>
    /// A tap at integer-valued <paramref name="position"/>: its index clamped into the image (clamped as an integer,
    /// so that a NaN coordinate still gives a valid index), and its weight times a 0/1 mask of whether it lies inside.
    /// </summary>
    private static (string Index, string Weight) Tap(OnnxGraph g, string name, string position, string? weight, long size)
    {
        var inside = g.Op("And", $"{name}.inside",
            g.Op("GreaterOrEqual", $"{name}.above_low", position, g.Float($"{name}.low", 0f)),
            g.Op("LessOrEqual", $"{name}.below_high", position, g.Float($"{name}.high", size - 1)));
        var mask = g.Cast($"{name}.mask", inside, OnnxDataType.Float);
        var index = g.Op("Clip", $"{name}.index", g.Cast($"{name}.raw_index", position, OnnxDataType.Int64), g.Long($"{name}.first", 0), g.Long($"{name}.last", size - 1));
        return (index, weight is null ? mask : g.Mul($"{name}.weight", weight, mask));
    }
}
