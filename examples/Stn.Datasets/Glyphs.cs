namespace Stn.Datasets;

/// <summary>
/// Ten procedurally drawn glyph classes for spatial-transformer experiments. The shapes are chosen so that no class is
/// symmetric and no two classes turn into each other under rotations of up to ±60°, so a classifier has to undo the
/// distortion rather than learn it away.
/// </summary>
public static class Glyphs
{
    /// <summary>Fraction of the canvas taken by the larger side of a glyph's stroke skeleton.</summary>
    private const double Extent = 0.68;

    private static readonly string[] Names = ["F", "L", "P", "R", "J", "G", "K", "7", "2", "4"];

    private static readonly (double X, double Y)[][][] Strokes = BuildStrokes();

    /// <summary>Number of glyph classes.</summary>
    public static int ClassCount => 10;

    /// <summary>Human-readable name of a class.</summary>
    /// <param name="cls">Class index in [0, <see cref="ClassCount"/>).</param>
    public static string Name(int cls)
    {
        CheckClass(cls);
        return Names[cls];
    }

    /// <summary>Every class rendered upright by <see cref="Render"/>, indexed by class.</summary>
    /// <param name="size">Canvas side in pixels.</param>
    public static float[][] RenderAll(int size) => Enumerable.Range(0, ClassCount).Select(c => Render(c, size)).ToArray();

    /// <summary>Renders an upright glyph centred on a square canvas, ink 255 on background 0, with anti-aliased strokes.</summary>
    /// <param name="cls">Class index in [0, <see cref="ClassCount"/>).</param>
    /// <param name="size">Canvas side in pixels; the stroke width is size/8.</param>
    /// <returns>size×size pixels, row-major, row 0 at the top.</returns>
    public static float[] Render(int cls, int size)
    {
        CheckClass(cls);
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 4);

        var segments = new List<(double Ax, double Ay, double Bx, double By)>();
        foreach (var line in Strokes[cls])
        {
            for (int i = 1; i < line.Length; i++)
            {
                segments.Add((line[i - 1].X * size, line[i - 1].Y * size, line[i].X * size, line[i].Y * size));
            }
        }

        double halfWidth = size / 16.0;
        var image = new float[size * size];
        for (int y = 0; y < size; y++)
        {
            for (int x = 0; x < size; x++)
            {
                double px = x + 0.5, py = y + 0.5;
                double nearest = double.MaxValue;
                foreach (var s in segments)
                {
                    nearest = Math.Min(nearest, DistanceToSegment(px, py, s.Ax, s.Ay, s.Bx, s.By));
                }

                // A one-pixel linear ramp across the stroke edge approximates the pixel's area coverage.
                double coverage = Math.Clamp(halfWidth + 0.5 - nearest, 0.0, 1.0);
                image[y * size + x] = (float)(255.0 * coverage);
            }
        }

        return image;
    }

    private static void CheckClass(int cls)
    {
        if ((uint)cls >= (uint)Names.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(cls), cls, $"Glyph class must be in [0, {Names.Length}).");
        }
    }

    private static double DistanceToSegment(double px, double py, double ax, double ay, double bx, double by)
    {
        double dx = bx - ax, dy = by - ay;
        double lengthSquared = dx * dx + dy * dy;
        double t = lengthSquared == 0 ? 0 : Math.Clamp(((px - ax) * dx + (py - ay) * dy) / lengthSquared, 0.0, 1.0);
        double ex = px - (ax + t * dx), ey = py - (ay + t * dy);
        return Math.Sqrt(ex * ex + ey * ey);
    }

    /// <summary>Points on a circular arc; angles in degrees, counter-clockwise as seen on screen (y grows downwards).</summary>
    private static (double X, double Y)[] Arc(double cx, double cy, double radius, double fromDegrees, double toDegrees)
    {
        const int Steps = 24;
        var points = new (double X, double Y)[Steps + 1];
        for (int i = 0; i <= Steps; i++)
        {
            double a = (fromDegrees + (toDegrees - fromDegrees) * i / Steps) * Math.PI / 180.0;
            points[i] = (cx + radius * Math.Cos(a), cy - radius * Math.Sin(a));
        }

        return points;
    }

    private static (double X, double Y)[][][] BuildStrokes()
    {
        (double, double)[] P(params (double, double)[] points) => points;

        (double X, double Y)[] bowl = [(0.30, 0.15), .. Arc(0.52, 0.33, 0.18, 90, -90), (0.30, 0.51)];
        (double X, double Y)[][][] raw =
        [
            [P((0.30, 0.85), (0.30, 0.15), (0.75, 0.15)), P((0.30, 0.48), (0.63, 0.48))],
            [P((0.30, 0.15), (0.30, 0.85), (0.72, 0.85))],
            [P((0.30, 0.85), (0.30, 0.15)), bowl],
            [P((0.30, 0.85), (0.30, 0.15)), bowl, P((0.46, 0.51), (0.74, 0.85))],
            [P((0.45, 0.15), (0.75, 0.15)), [(0.65, 0.15), .. Arc(0.47, 0.66, 0.18, 0, -180), (0.29, 0.58)]],
            [[.. Arc(0.50, 0.50, 0.33, 50, 360), (0.56, 0.50)]],
            [P((0.30, 0.15), (0.30, 0.85)), P((0.74, 0.15), (0.30, 0.58)), P((0.45, 0.44), (0.76, 0.85))],
            [P((0.25, 0.15), (0.75, 0.15), (0.42, 0.85))],
            [[.. Arc(0.50, 0.34, 0.20, 160, -35), (0.27, 0.85), (0.76, 0.85)]],
            [P((0.62, 0.85), (0.62, 0.15), (0.25, 0.62), (0.80, 0.62))],
        ];

        return [.. raw.Select(Normalise)];
    }

    /// <summary>Centres a glyph's skeleton in the unit box and scales its larger side to <see cref="Extent"/>.</summary>
    private static (double X, double Y)[][] Normalise((double X, double Y)[][] lines)
    {
        var all = lines.SelectMany(l => l).ToArray();
        double minX = all.Min(p => p.X), maxX = all.Max(p => p.X);
        double minY = all.Min(p => p.Y), maxY = all.Max(p => p.Y);
        double scale = Extent / Math.Max(maxX - minX, maxY - minY);
        double cx = (minX + maxX) / 2, cy = (minY + maxY) / 2;
        return [.. lines.Select(l => l.Select(p => (0.5 + (p.X - cx) * scale, 0.5 + (p.Y - cy) * scale)).ToArray())];
    }
}
