using Microsoft.ML.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Stn.Training;

/// <summary>
/// A labelled data set as the trainer reads it on the training device. The whole set is copied to the device once
/// when it fits (resident): every batch is then gathered there, with no transfer and no host work per batch, which
/// matters because this small network is bound by launch overhead on a GPU. When the device has no room for it, batches
/// are gathered on the host, copied to page-locked memory and sent asynchronously (streamed). On the CPU the set is
/// resident without any copy.
/// </summary>
internal sealed class DeviceData : IDisposable
{
    private readonly LabelledImageTensors _host;
    private readonly Tensor? _images;
    private readonly Tensor? _labels;

    private DeviceData(LabelledImageTensors host, Device device, Tensor? images, Tensor? labels)
    {
        _host = host;
        Device = device;
        _images = images;
        _labels = labels;
    }

    public Device Device { get; }

    public int Count => _host.Count;

    /// <summary>Places <paramref name="data"/> on <paramref name="device"/>, whole if it fits.</summary>
    /// <param name="data">The data set in host memory; it stays owned by the caller.</param>
    /// <param name="device">The training device.</param>
    /// <param name="channel">Where streaming is reported.</param>
    /// <param name="role">"training" or "validation", for the log.</param>
    public static DeviceData Place(LabelledImageTensors data, Device device, IChannel channel, string role)
    {
        Tensor? images = null;
        try
        {
            images = data.Images.to(device);
            return new DeviceData(data, device, images, data.Labels.to(device));
        }
        catch (Exception e) when (device.type != DeviceType.CPU && e.Message.Contains("out of memory", StringComparison.OrdinalIgnoreCase))
        {
            images?.Dispose();
            channel.Warning("The {0} data ({1:F0} MiB) does not fit on {2}; its batches are sent from host memory instead.",
                role, data.Images.numel() * 4 / 1048576.0, device);
            return new DeviceData(data, device, null, null);
        }
    }

    /// <summary>Whether the whole set is on the device.</summary>
    public bool IsResident => _images is not null;

    /// <summary>The order of an epoch as an index tensor where <see cref="Batch"/> gathers.</summary>
    public Tensor Order(long[] order)
    {
        using var scope = NewDisposeScope();
        var index = tensor(order);
        return (IsResident ? index.to(Device) : index).MoveToOuterDisposeScope();
    }

    /// <summary>The rows that <paramref name="index"/> (from <see cref="Order"/>) names, on the device.</summary>
    public (Tensor Images, Tensor Labels) Batch(Tensor index) => IsResident
        ? (_images!.index_select(0, index), _labels!.index_select(0, index))
        : (ToDevice(_host.Images.index_select(0, index)), ToDevice(_host.Labels.index_select(0, index)));

    /// <summary>Rows <paramref name="start"/> to <paramref name="start"/> + <paramref name="count"/>, on the device.</summary>
    public (Tensor Images, Tensor Labels) Range(int start, int count) => IsResident
        ? (_images!.narrow(0, start, count), _labels!.narrow(0, start, count))
        : (ToDevice(_host.Images.narrow(0, start, count)), ToDevice(_host.Labels.narrow(0, start, count)));

    /// <summary>
    /// Sends host rows to the device without waiting: the copy from page-locked memory runs asynchronously, and
    /// libtorch's pinned-memory cache keeps the block until the copy is done even after the tensor is disposed.
    /// </summary>
    private Tensor ToDevice(Tensor rows) =>
        Device.type == DeviceType.CPU ? rows : rows.pin_memory().to(Device, non_blocking: true);

    public void Dispose()
    {
        _images?.Dispose();
        _labels?.Dispose();
    }
}
