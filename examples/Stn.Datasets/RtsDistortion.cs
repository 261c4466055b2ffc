namespace Stn.Datasets;

/// <summary>A rotation–translation–scale distortion.</summary>
/// <param name="AngleDegrees">Rotation in degrees; positive turns the image counter-clockwise as seen on screen.</param>
/// <param name="Scale">Magnification of the source about its centre.</param>
/// <param name="ShiftX">Rightward shift in pixels of the output canvas.</param>
/// <param name="ShiftY">Downward shift in pixels of the output canvas.</param>
public readonly record struct RtsParameters(double AngleDegrees, double Scale, double ShiftX, double ShiftY);

/// <summary>Applies and samples rotation–translation–scale distortions of single-channel images.</summary>
public static class RtsDistortion
{
    /// <summary>
    /// Places <paramref name="source"/> centred on a new canvas, rotated about its centre, scaled and shifted, sampling
    /// the source bilinearly at each output pixel's inverse-mapped position; outside the source is 0.
    /// </summary>
    /// <param name="source">Source pixels, row-major, row 0 at the top.</param>
    /// <param name="sourceHeight">Source rows.</param>
    /// <param name="sourceWidth">Source columns.</param>
    /// <param name="canvasHeight">Output rows.</param>
    /// <param name="canvasWidth">Output columns.</param>
    /// <param name="p">The distortion.</param>
    /// <returns>canvasHeight×canvasWidth pixels.</returns>
    public static float[] Apply(float[] source, int sourceHeight, int sourceWidth, int canvasHeight, int canvasWidth, RtsParameters p)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sourceHeight);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sourceWidth);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(canvasHeight);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(canvasWidth);
        if (source.Length != sourceHeight * sourceWidth)
        {
            throw new ArgumentException($"Source has {source.Length} pixels, expected {sourceHeight}×{sourceWidth}.", nameof(source));
        }

        if (!(p.Scale > 0) || !double.IsFinite(p.Scale))
        {
            throw new ArgumentOutOfRangeException(nameof(p), p.Scale, "Scale must be positive and finite.");
        }

        var (cos, sin) = CosSin(p.AngleDegrees);
        double sourceCx = sourceWidth / 2.0, sourceCy = sourceHeight / 2.0;
        double canvasCx = canvasWidth / 2.0 + p.ShiftX, canvasCy = canvasHeight / 2.0 + p.ShiftY;
        var output = new float[canvasHeight * canvasWidth];
        for (int cy = 0; cy < canvasHeight; cy++)
        {
            double y = cy + 0.5 - canvasCy;
            for (int cx = 0; cx < canvasWidth; cx++)
            {
                double x = cx + 0.5 - canvasCx;

                // Inverse of the forward map (x, y) = s·R(θ)·(u, v) with y pointing down, so R(θ) turns counter-clockwise on screen.
                double u = (x * cos - y * sin) / p.Scale;
                double v = (x * sin + y * cos) / p.Scale;
                output[cy * canvasWidth + cx] = Bilinear(source, sourceHeight, sourceWidth, u + sourceCx - 0.5, v + sourceCy - 0.5);
            }
        }

        return output;
    }

    /// <summary>
    /// Warps a distorted canvas back by the exact inverse of <paramref name="p"/>: the object centred, upright and at
    /// scale 1, as <see cref="Apply"/> with no distortion would place it, but read from the distorted pixels, so what the
    /// distortion cut off or blurred stays lost. It is what a perfect warp could show a classifier.
    /// </summary>
    /// <param name="distorted">The distorted canvas, row-major.</param>
    /// <param name="canvasHeight">Canvas rows (input and output).</param>
    /// <param name="canvasWidth">Canvas columns (input and output).</param>
    /// <param name="p">The distortion the canvas was made with.</param>
    /// <returns>canvasHeight×canvasWidth pixels.</returns>
    public static float[] Undo(float[] distorted, int canvasHeight, int canvasWidth, RtsParameters p)
    {
        ArgumentNullException.ThrowIfNull(distorted);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(canvasHeight);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(canvasWidth);
        if (distorted.Length != canvasHeight * canvasWidth)
        {
            throw new ArgumentException($"Canvas has {distorted.Length} pixels, expected {canvasHeight}×{canvasWidth}.", nameof(distorted));
        }

        var (cos, sin) = CosSin(p.AngleDegrees);
        double centreX = canvasWidth / 2.0, centreY = canvasHeight / 2.0;
        var output = new float[canvasHeight * canvasWidth];
        for (int oy = 0; oy < canvasHeight; oy++)
        {
            double v = oy + 0.5 - centreY;
            for (int ox = 0; ox < canvasWidth; ox++)
            {
                double u = ox + 0.5 - centreX;

                // The forward map of Apply: the source offset (u, v) lands at s·R(θ)·(u, v) from the shifted centre.
                double x = p.Scale * (u * cos + v * sin) + centreX + p.ShiftX;
                double y = p.Scale * (-u * sin + v * cos) + centreY + p.ShiftY;
                output[oy * canvasWidth + ox] = Bilinear(distorted, canvasHeight, canvasWidth, x - 0.5, y - 0.5);
            }
        }

        return output;
    }

    /// <summary>Draws a distortion with each parameter independently uniform in its range.</summary>
    /// <param name="rng">Source of randomness; four values are drawn, in the order angle, scale, x shift, y shift.</param>
    /// <param name="maxAngleDegrees">Angle is uniform in [−max, max].</param>
    /// <param name="minScale">Lower bound of the scale.</param>
    /// <param name="maxScale">Upper bound of the scale.</param>
    /// <param name="maxShiftPixels">Each shift is uniform in [−max, max].</param>
    public static RtsParameters Sample(Random rng, double maxAngleDegrees, double minScale, double maxScale, double maxShiftPixels)
    {
        ArgumentNullException.ThrowIfNull(rng);
        if (!(minScale > 0) || maxScale < minScale)
        {
            throw new ArgumentOutOfRangeException(nameof(minScale), $"Need 0 < minScale ≤ maxScale, got {minScale} and {maxScale}.");
        }

        double angle = (2 * rng.NextDouble() - 1) * maxAngleDegrees;
        double scale = minScale + rng.NextDouble() * (maxScale - minScale);
        double shiftX = (2 * rng.NextDouble() - 1) * maxShiftPixels;
        double shiftY = (2 * rng.NextDouble() - 1) * maxShiftPixels;
        return new RtsParameters(angle, scale, shiftX, shiftY);
    }

    /// <summary>Exact values at quarter turns, so right-angle rotations move pixels without interpolation blur.</summary>
    private static (double Cos, double Sin) CosSin(double degrees)
    {
        double turns = degrees / 90.0;
        if (turns == Math.Round(turns))
        {
            return (((long)turns % 4 + 4) % 4) switch
            {
                0 => (1.0, 0.0),
                1 => (0.0, 1.0),
                2 => (-1.0, 0.0),
                _ => (0.0, -1.0),
            };
        }

        double radians = degrees * Math.PI / 180.0;
        return (Math.Cos(radians), Math.Sin(radians));
    }

    private static float Bilinear(float[] image, int height, int width, double x, double y)
    {
        double fx0 = Math.Floor(x), fy0 = Math.Floor(y);
        if (fx0 < -1 || fy0 < -1 || fx0 >= width || fy0 >= height)
        {
            return 0f;
        }

        int x0 = (int)fx0, y0 = (int)fy0;
        double ax = x - fx0, ay = y - fy0;
        double top = (1 - ax) * Pixel(image, height, width, x0, y0) + ax * Pixel(image, height, width, x0 + 1, y0);
        double bottom = (1 - ax) * Pixel(image, height, width, x0, y0 + 1) + ax * Pixel(image, height, width, x0 + 1, y0 + 1);
        return (float)((1 - ay) * top + ay * bottom);
    }

    private static double Pixel(float[] image, int height, int width, int x, int y) =>
        (uint)x < (uint)width && (uint)y < (uint)height ? image[y * width + x] : 0.0;
}
