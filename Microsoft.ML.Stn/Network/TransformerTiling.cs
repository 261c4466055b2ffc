namespace Microsoft.ML.Stn.Network;

/// <summary>
/// Starting warps that tile the input among T transformers, as the paper initialised its multi-transformer CUB
/// model: the input is cut into a near-square grid of tiles (rows × columns ≥ T, more columns for a wide input) and
/// transformer t starts by showing tile t.
/// </summary>
public static class TransformerTiling
{
    /// <summary>The tile grid for T transformers on an input of the given aspect: rows and columns.</summary>
    /// <param name="transformerCount">T, at least 1.</param>
    /// <param name="height">Input height.</param>
    /// <param name="width">Input width.</param>
    /// <returns>Rows and columns with rows × columns ≥ T.</returns>
    public static (int Rows, int Columns) Grid(int transformerCount, int height, int width)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(transformerCount, 1);
        // Square tiles fit best: rows / columns close to height / width, with rows · columns ≈ T.
        int rows = Math.Clamp((int)Math.Round(Math.Sqrt(transformerCount * (double)height / width)), 1, transformerCount);
        int columns = (transformerCount + rows - 1) / rows;
        return (rows, columns);
    }

    /// <summary>
    /// The localisation net's initial output for T transformers, T parameter blocks one after the other: each the
    /// parameters of the crop of its tile, as far as the transform family can express it (isotropic kinds take the
    /// larger tile side, translation only moves to the tile's centre).
    /// </summary>
    /// <param name="kind">The transform family.</param>
    /// <param name="controlPointGridSize">K of a <see cref="TransformKind.ThinPlateSpline"/>.</param>
    /// <param name="transformerCount">T, at least 1.</param>
    /// <param name="height">Input height.</param>
    /// <param name="width">Input width.</param>
    /// <returns>A new array of T × <see cref="TransformParameterisation.ParameterCount"/> values.</returns>
    public static float[] InitialParameters(TransformKind kind, int controlPointGridSize, int transformerCount, int height, int width)
    {
        var (rows, columns) = Grid(transformerCount, height, width);
        var parameters = new List<float>();
        for (int t = 0; t < transformerCount; t++)
        {
            int row = t / columns, column = t % columns;
            float sx = 1f / columns, sy = 1f / rows;
            float cx = -1f + (2f * column + 1f) / columns, cy = -1f + (2f * row + 1f) / rows;
            float s = Math.Max(sx, sy);
            parameters.AddRange(kind switch
            {
                TransformKind.Affine => [sx, 0f, cx, 0f, sy, cy],
                TransformKind.Projective => [sx, 0f, cx, 0f, sy, cy, 0f, 0f],
                TransformKind.Similarity => [0f, s, cx, cy],
                TransformKind.Attention => [s, cx, cy],
                TransformKind.Translation => [cx, cy],
                TransformKind.ThinPlateSpline => TilePoints(controlPointGridSize, sx, sy, cx, cy),
                _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, $"unknown transform kind {kind}"),
            });
        }

        return [.. parameters];
    }

    private static float[] TilePoints(int controlPointGridSize, float sx, float sy, float cx, float cy)
    {
        var points = ThinPlateSplineGrid.IdentityTheta(controlPointGridSize);
        for (int i = 0; i < points.Length; i += 2)
        {
            points[i] = cx + sx * points[i];
            points[i + 1] = cy + sy * points[i + 1];
        }

        return points;
    }
}
