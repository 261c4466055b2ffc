using Microsoft.ML.Runtime;
using Microsoft.ML.Stn.Network;

namespace Microsoft.ML.Stn.MLNet;

/// <summary>
/// Checks of the options that shape the transformers: <see cref="StnClassifyOptions.ControlPointGridSize"/>,
/// <see cref="StnClassifyOptions.TransformerCount"/>, <see cref="StnClassifyOptions.RefinementSteps"/>,
/// <see cref="StnClassifyOptions.MomentNormalisation"/> and <see cref="StnClassifyOptions.LocalisationWidth"/>.
/// </summary>
internal static class TransformerOptionsValidation
{
    public static void Validate(IExceptionContext ectx, StnClassifyOptions o, int outputHeight, int outputWidth)
    {
        if (o.TransformerCount < 1)
        {
            throw ectx.ExceptParam(nameof(o.TransformerCount),
                $"TransformerCount must be at least 1, but it is {o.TransformerCount}.");
        }
        if (o.RefinementSteps is < 1)
        {
            throw ectx.ExceptParam(nameof(o.RefinementSteps),
                $"RefinementSteps must be at least 1, but it is {o.RefinementSteps}.");
        }
        if (o.RefinementSteps is > 1 && o.Transform == TransformKind.ThinPlateSpline)
        {
            throw ectx.ExceptParam(nameof(o.RefinementSteps),
                $"RefinementSteps must be 1 with Transform = ThinPlateSpline (refinement composes matrices), but it is {o.RefinementSteps}.");
        }
        if (o.MomentNormalisation == true && o.Transform == TransformKind.ThinPlateSpline)
        {
            throw ectx.ExceptParam(nameof(o.MomentNormalisation),
                "MomentNormalisation must be false with Transform = ThinPlateSpline (the moments give a matrix to start from), but it is true.");
        }
        if (o.LocalisationWidth < 1)
        {
            throw ectx.ExceptParam(nameof(o.LocalisationWidth),
                $"LocalisationWidth must be at least 1, but it is {o.LocalisationWidth}.");
        }
        long rectifiedChannels = (long)o.TransformerCount * o.Channels;
        if (rectifiedChannels > ClassifierNet.MaximumInputChannels)
        {
            throw ectx.ExceptParam(nameof(o.TransformerCount),
                $"TransformerCount × Channels = {o.TransformerCount} × {o.Channels} = {rectifiedChannels} rectified channels, but the " +
                $"classifier accepts at most {ClassifierNet.MaximumInputChannels}.");
        }
        if (o.Transform == TransformKind.ThinPlateSpline)
        {
            if (o.ControlPointGridSize < ThinPlateSplineGrid.MinimumControlPointGridSize)
            {
                throw ectx.ExceptParam(nameof(o.ControlPointGridSize),
                    $"ControlPointGridSize must be at least {ThinPlateSplineGrid.MinimumControlPointGridSize}, but it is {o.ControlPointGridSize}.");
            }
            int side = Math.Min(outputHeight, outputWidth);
            if (o.ControlPointGridSize > side)
            {
                throw ectx.ExceptParam(nameof(o.ControlPointGridSize),
                    $"ControlPointGridSize {o.ControlPointGridSize} is too large for the {outputHeight}×{outputWidth} output: a " +
                    $"control-point grid can be at most as fine as the output's smaller side, {side}.");
            }
        }
    }
}
