namespace Microsoft.ML.Stn;

/// <summary>What the sampler reads for source coordinates that fall outside the input.</summary>
public enum PaddingMode
{
    /// <summary>Outside pixels read as zero.</summary>
    Zeros = 0,

    /// <summary>Outside coordinates are clamped to the nearest border pixel.</summary>
    Border,

    /// <summary>Outside coordinates are reflected back into the input by the border.</summary>
    Reflection,
}
