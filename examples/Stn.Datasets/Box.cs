namespace Stn.Datasets;

/// <summary>
/// An axis-aligned bounding box in pixel-edge coordinates, the convention of StnClassify's <c>BoundingBox</c> column: x
/// from 0 (the left edge of column 0) to W (the right edge of the last column), y likewise from the top. A box that
/// holds exactly pixel column c and row r is (c, r, c + 1, r + 1).
/// </summary>
/// <param name="Left">Left edge.</param>
/// <param name="Top">Top edge.</param>
/// <param name="Right">Right edge.</param>
/// <param name="Bottom">Bottom edge.</param>
public readonly record struct Box(float Left, float Top, float Right, float Bottom)
{
    /// <summary>Width, 0 for an empty or inverted box.</summary>
    public float Width => Math.Max(0, Right - Left);

    /// <summary>Height, 0 for an empty or inverted box.</summary>
    public float Height => Math.Max(0, Bottom - Top);

    /// <summary>Area, 0 for an empty or inverted box.</summary>
    public float Area => Width * Height;

    /// <summary>Whether all four edges are finite numbers (a box scored from NaN pixels is not).</summary>
    public bool IsFinite => float.IsFinite(Left) && float.IsFinite(Top) && float.IsFinite(Right) && float.IsFinite(Bottom);

    /// <summary>The whole image as a box: the reference a localiser has to beat.</summary>
    /// <param name="height">Rows.</param>
    /// <param name="width">Columns.</param>
    public static Box WholeImage(int height, int width) => new(0, 0, width, height);

    /// <summary>A box from the 4 values of a <c>BoundingBox</c> column: left, top, right, bottom.</summary>
    /// <param name="values">Exactly 4 values.</param>
    public static Box FromColumn(ReadOnlySpan<float> values)
    {
        if (values.Length != 4)
        {
            throw new ArgumentException($"A box needs 4 values (left, top, right, bottom), got {values.Length}.", nameof(values));
        }

        return new Box(values[0], values[1], values[2], values[3]);
    }

    /// <summary>
    /// The tight box of an image's ink: the smallest box that holds every pixel above <paramref name="threshold"/>.
    /// </summary>
    /// <param name="image">Row-major pixels, row 0 at the top.</param>
    /// <param name="height">Rows.</param>
    /// <param name="width">Columns.</param>
    /// <param name="threshold">Pixels strictly above it count as ink.</param>
    /// <returns>The box, or an empty box (0, 0, 0, 0) for an image without ink.</returns>
    public static Box Tight(ReadOnlySpan<float> image, int height, int width, float threshold = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        if (image.Length != height * width)
        {
            throw new ArgumentException($"Image has {image.Length} pixels, expected {height}×{width}.", nameof(image));
        }

        int left = width, top = height, right = -1, bottom = -1;
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                if (image[y * width + x] > threshold)
                {
                    left = Math.Min(left, x);
                    right = Math.Max(right, x);
                    top = Math.Min(top, y);
                    bottom = Math.Max(bottom, y);
                }
            }
        }

        return right < 0 ? default : new Box(left, top, right + 1, bottom + 1);
    }

    /// <summary>The same box moved by (<paramref name="dx"/>, <paramref name="dy"/>) pixels.</summary>
    /// <param name="dx">Rightward shift.</param>
    /// <param name="dy">Downward shift.</param>
    public Box Offset(float dx, float dy) => new(Left + dx, Top + dy, Right + dx, Bottom + dy);

    /// <summary>
    /// Intersection over union, the overlap measure of object detection: 1 for the same box, 0 for disjoint boxes,
    /// and 0 when either box is not finite or has no area (a missing prediction counts as a miss).
    /// </summary>
    /// <param name="a">One box.</param>
    /// <param name="b">The other box.</param>
    public static double IntersectionOverUnion(Box a, Box b)
    {
        if (!a.IsFinite || !b.IsFinite)
        {
            return 0;
        }

        double width = Math.Min(a.Right, b.Right) - Math.Max(a.Left, b.Left);
        double height = Math.Min(a.Bottom, b.Bottom) - Math.Max(a.Top, b.Top);
        double intersection = width > 0 && height > 0 ? width * height : 0;
        double union = (double)a.Area + b.Area - intersection;
        return union > 0 ? intersection / union : 0;
    }
}
