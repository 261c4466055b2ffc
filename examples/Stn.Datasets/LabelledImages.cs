namespace Stn.Datasets;

/// <summary>A batch of labelled single- or multi-channel images stored contiguously in planar CHW order.</summary>
/// <param name="Pixels">Count×Channels×Height×Width values, 0 (background) to 255 (ink).</param>
/// <param name="Labels">One class index per image.</param>
/// <param name="Count">Number of images.</param>
/// <param name="Channels">Channels per image.</param>
/// <param name="Height">Rows per image.</param>
/// <param name="Width">Columns per image.</param>
/// <param name="Distortions">The distortion applied to each image.</param>
/// <param name="Boxes">Each image's true box: the tight box of its object's own pixels (clutter excluded).</param>
public sealed record class LabelledImages(float[] Pixels, int[] Labels, int Count, int Channels, int Height, int Width, RtsParameters[] Distortions, Box[] Boxes)
{
    /// <summary>Values per image.</summary>
    public int ImageLength => Channels * Height * Width;

    /// <summary>A copy of one image's pixels.</summary>
    /// <param name="i">Image index in [0, <see cref="Count"/>).</param>
    public float[] Image(int i)
    {
        if ((uint)i >= (uint)Count)
        {
            throw new ArgumentOutOfRangeException(nameof(i), i, $"Image index must be in [0, {Count}).");
        }

        return Pixels.AsSpan(i * ImageLength, ImageLength).ToArray();
    }
}
