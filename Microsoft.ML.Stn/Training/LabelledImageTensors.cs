using static TorchSharp.torch;

namespace Microsoft.ML.Stn.Training;

/// <summary>A data set held in memory as one float tensor [N, C, H, W] and one int64 tensor of class indices [N].</summary>
internal sealed class LabelledImageTensors : IDisposable
{
    public LabelledImageTensors(Tensor images, Tensor labels)
    {
        Images = images;
        Labels = labels;
    }

    public Tensor Images { get; }

    public Tensor Labels { get; }

    public int Count => (int)Labels.shape[0];

    public void Dispose()
    {
        Images.Dispose();
        Labels.Dispose();
    }
}
