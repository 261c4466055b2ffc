namespace Microsoft.ML.Stn.Network;

/// <summary>Everything needed to rebuild an <see cref="StnClassifierNetwork"/> before its weights are loaded.</summary>
internal sealed record StnArchitecture(
    int Channels,
    int Height,
    int Width,
    int OutputHeight,
    int OutputWidth,
    int ClassCount,
    TransformKind Transform,
    SamplingMode Sampling,
    PaddingMode Padding,
    bool AlignCorners,
    bool UseSpatialTransformer)
{
    public int PixelCount => Channels * Height * Width;

    /// <summary>Values of one rectified image: C × H′ × W′.</summary>
    public int RectifiedImageLength => Channels * OutputHeight * OutputWidth;

    /// <summary>Length of the flattened θ: 2×3, or 3×3 for projective.</summary>
    public int ThetaLength => TransformParameterisation.MatrixRows(Transform) * 3;

    /// <summary>Length of the bounding box: left, top, right, bottom.</summary>
    public const int BoundingBoxLength = 4;
}
