namespace Stn.Datasets;

/// <summary>
/// Intensity-weighted moments of single-channel images and spreads of their summaries, used to show that a spatial
/// transformer's rectified outputs are more canonical (less spread in position and orientation) than its inputs.
/// </summary>
public static class ImageStatistics
{
    /// <summary>Intensity-weighted centre of mass in pixel coordinates, where pixel (column x, row y) is at (x, y).</summary>
    /// <param name="image">Row-major pixels, row 0 at the top.</param>
    /// <param name="height">Rows.</param>
    /// <param name="width">Columns.</param>
    /// <returns>The centroid, or the geometric centre when the image has no positive mass.</returns>
    public static (double X, double Y) Centroid(ReadOnlySpan<float> image, int height, int width)
    {
        var m = Moments(image, height, width);
        return m.Mass > 0 ? (m.X, m.Y) : ((width - 1) / 2.0, (height - 1) / 2.0);
    }

    /// <summary>
    /// Angle of the principal axis from the central second moments, in degrees in (−90, 90]: 0 is horizontal and
    /// positive angles turn counter-clockwise as seen on screen, matching <see cref="RtsParameters.AngleDegrees"/>.
    /// </summary>
    /// <param name="image">Row-major pixels, row 0 at the top.</param>
    /// <param name="height">Rows.</param>
    /// <param name="width">Columns.</param>
    /// <returns>The axis angle; 0 for an image without mass or without a preferred direction.</returns>
    public static double OrientationDegrees(ReadOnlySpan<float> image, int height, int width)
    {
        var m = Moments(image, height, width);
        if (m.Mass <= 0)
        {
            return 0;
        }

        // Rows grow downwards, so the covariance term changes sign to measure angles counter-clockwise on screen.
        double degrees = 0.5 * Math.Atan2(-2 * m.Xy, m.Xx - m.Yy) * 180.0 / Math.PI;
        return degrees <= -90 ? degrees + 180 : degrees;
    }

    /// <summary>
    /// Circular standard deviation of angles (period 360°): the spread around their circular mean, so that angles on
    /// both sides of ±180° count as close.
    /// </summary>
    /// <param name="degrees">At least one angle, in degrees.</param>
    public static double AngleSpreadDegrees(IReadOnlyList<double> degrees)
    {
        ArgumentNullException.ThrowIfNull(degrees);
        double c = degrees.Sum(a => Math.Cos(a * Math.PI / 180.0));
        double s = degrees.Sum(a => Math.Sin(a * Math.PI / 180.0));
        double mean = Math.Atan2(s, c) * 180.0 / Math.PI;
        return Spread([.. degrees.Select(a => WrapDegrees(a - mean))]);
    }

    /// <summary>The same angle in (−180°, 180°].</summary>
    public static double WrapDegrees(double degrees)
    {
        double wrapped = degrees % 360.0;
        if (wrapped <= -180) wrapped += 360;
        else if (wrapped > 180) wrapped -= 360;
        return wrapped;
    }

    /// <summary>Population standard deviation.</summary>
    /// <param name="values">At least one value.</param>
    public static double Spread(IReadOnlyList<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count == 0)
        {
            throw new ArgumentException("Spread needs at least one value.", nameof(values));
        }

        double mean = values.Average();
        double sum = 0;
        foreach (var v in values)
        {
            sum += (v - mean) * (v - mean);
        }

        return Math.Sqrt(sum / values.Count);
    }

    /// <summary>
    /// Circular standard deviation of axis angles (period 180°): the angles are doubled, the mean resultant length R
    /// of the doubled angles is taken, and sqrt(−2 ln R)/2 is returned in degrees.
    /// </summary>
    /// <param name="axisAnglesDegrees">At least one angle in degrees.</param>
    /// <returns>0 for identical axes, growing without bound as the axes become uniformly spread.</returns>
    public static double CircularSpreadDegrees(IReadOnlyList<double> axisAnglesDegrees)
    {
        ArgumentNullException.ThrowIfNull(axisAnglesDegrees);
        if (axisAnglesDegrees.Count == 0)
        {
            throw new ArgumentException("Spread needs at least one angle.", nameof(axisAnglesDegrees));
        }

        double c = 0, s = 0;
        foreach (var a in axisAnglesDegrees)
        {
            double doubled = 2 * a * Math.PI / 180.0;
            c += Math.Cos(doubled);
            s += Math.Sin(doubled);
        }

        // Rounding can push R of identical angles a hair above 1, which would make the logarithm positive.
        double r = Math.Min(1.0, Math.Sqrt(c * c + s * s) / axisAnglesDegrees.Count);
        return Math.Sqrt(-2 * Math.Log(r)) / 2 * 180.0 / Math.PI;
    }

    private static (double Mass, double X, double Y, double Xx, double Yy, double Xy) Moments(ReadOnlySpan<float> image, int height, int width)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        if (image.Length != height * width)
        {
            throw new ArgumentException($"Image has {image.Length} pixels, expected {height}×{width}.", nameof(image));
        }

        double mass = 0, sx = 0, sy = 0;
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                double w = image[y * width + x];
                mass += w;
                sx += w * x;
                sy += w * y;
            }
        }

        if (mass <= 0)
        {
            return (0, 0, 0, 0, 0, 0);
        }

        double cx = sx / mass, cy = sy / mass;
        double xx = 0, yy = 0, xy = 0;
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                double w = image[y * width + x];
                double dx = x - cx, dy = y - cy;
                xx += w * dx * dx;
                yy += w * dy * dy;
                xy += w * dx * dy;
            }
        }

        return (mass, cx, cy, xx / mass, yy / mass, xy / mass);
    }
}
