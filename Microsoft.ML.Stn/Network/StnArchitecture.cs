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
    bool UseSpatialTransformer,
    int ControlPointGridSize = ThinPlateSplineGrid.DefaultControlPointGridSize,
    int TransformerCount = 1,
    int RefinementSteps = 1,
    int LocalisationWidth = 1,
    bool LocalisationBatchNorm = false,
    bool ClassifierBatchNorm = false,
    MomentView MomentView = MomentView.None,
    int? ViewHeight = null,
    int? ViewWidth = null)
{
    /// <summary>The size at which the localisation net reads each view: <see cref="ViewHeight"/> and
    /// <see cref="ViewWidth"/>, or the input's where they are null.</summary>
    public (int Height, int Width) ViewSize => (ViewHeight ?? Height, ViewWidth ?? Width);

    public int PixelCount => Channels * Height * Width;

    /// <summary>Channels of the rectified image: the transformers' outputs stacked.</summary>
    public int RectifiedChannels => TransformerCount * Channels;

    /// <summary>Values of one rectified image: T·C × H′ × W′.</summary>
    public int RectifiedImageLength => RectifiedChannels * OutputHeight * OutputWidth;

    /// <summary>Length of one transformer's flattened θ: 2×3, 3×3 for projective, 2K² for a thin-plate spline.</summary>
    public int ThetaLengthPerTransformer => TransformParameterisation.ThetaLength(Transform, ControlPointGridSize);

    /// <summary>Length of the flattened θ of all transformers.</summary>
    public int ThetaLength => TransformerCount * ThetaLengthPerTransformer;

    /// <summary>Length of one transformer's bounding box: left, top, right, bottom.</summary>
    public const int BoundingBoxLength = 4;

    /// <summary>Length of the bounding-box column: one box per transformer.</summary>
    public int BoundingBoxesLength => TransformerCount * BoundingBoxLength;
}
