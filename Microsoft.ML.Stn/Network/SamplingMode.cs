namespace Microsoft.ML.Stn;

/// <summary>How the sampler interpolates the input at the (generally fractional) source coordinates.</summary>
public enum SamplingMode
{
    /// <summary>Bilinear interpolation of the four neighbouring pixels; differentiable in both the input and the grid.</summary>
    Bilinear = 0,

    /// <summary>The nearest pixel; the gradient with respect to the grid is zero.</summary>
    Nearest,

    /// <summary>Bicubic (Keys cubic convolution, a = −0.75) interpolation of the sixteen neighbouring pixels.</summary>
    Bicubic,
}
