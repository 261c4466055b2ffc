using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;
using Stn.Datasets;

namespace Microsoft.ML.Stn.Tests.MLNet;

/// <summary>An MLImage feature column is converted like ExtractPixels' defaults and resized to the model's size.</summary>
[TestClass]
public sealed class ImageInputTests
{
    private const int Side = TrainedModel.Canvas;

    private sealed class LargeImageRow
    {
        [ImageType(2 * Side, 2 * Side)]
        public MLImage Features { get; set; } = null!;
    }

    [TestMethod]
    public void LargerImagesAreResizedToTheModelSize()
    {
        var ml = TrainedModel.Ml;
        var stn = TrainedModel.Transformer;
        var images = TrainedModel.TestImages;
        var greys = Enumerable.Range(0, 10)
            .Select(i => images.Image(i).Select(v => (byte)Math.Round(Math.Clamp(v, 0, 255))).ToArray()).ToList();

        var vectors = greys.Select(g => new ImageRow { Features = g.Select(b => (float)b).ToArray() }).ToDataView(ml, Side * Side);
        // Each pixel doubled in both directions: bilinear resizing with aligned pixel centres reads between two equal
        // pixels, so the resized image is exactly the original.
        var large = ml.Data.LoadFromEnumerable(greys.Select(g => new LargeImageRow { Features = Upsampled(g) }).ToList());

        var expected = TrainedModel.Vectors(stn.Transform(vectors), "Score");
        var actual = TrainedModel.Vectors(stn.Transform(large), "Score");
        TrainedModel.AssertSame(expected, actual, 1e-5, "MLImage input resized from 64×64");
    }

    private static MLImage Upsampled(byte[] grey)
    {
        int side = 2 * Side;
        var bgra = new byte[side * side * 4];
        for (int y = 0; y < side; y++)
        {
            for (int x = 0; x < side; x++)
            {
                byte value = grey[(y / 2) * Side + x / 2];
                int at = (y * side + x) * 4;
                bgra[at] = bgra[at + 1] = bgra[at + 2] = value;
                bgra[at + 3] = 255;
            }
        }
        return MLImage.CreateFromPixels(side, side, MLPixelFormat.Bgra32, bgra);
    }
}
