using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Stn.Network;

/// <summary>
/// Small constant tensors that the forward pass needs on the device of its input (the target grid, the box corners),
/// made once per shape, dtype and device and kept for the life of the process. Made afresh in every forward pass, each
/// would be a copy from a host array, which on a GPU waits for the device to finish all queued work.
/// </summary>
internal static class DeviceConstants
{
    private static readonly Dictionary<Key, Tensor> s_constants = new();

    /// <summary>
    /// The constant that <paramref name="name"/> and the sizes identify, on <paramref name="device"/> in
    /// <paramref name="dtype"/>; <paramref name="create"/> makes it (on any device) the first time. The result belongs
    /// to this cache: callers must not dispose it.
    /// </summary>
    public static Tensor Get(string name, int height, int width, bool alignCorners, ScalarType dtype, Device device,
        Func<Tensor> create)
    {
        var key = new Key(name, height, width, alignCorners, dtype, device.type, device.index);
        lock (s_constants)
        {
            if (!s_constants.TryGetValue(key, out var constant))
            {
                using var scope = NewDisposeScope();
                constant = create().to(dtype, device).DetachFromDisposeScope();
                s_constants.Add(key, constant);
            }
            return constant;
        }
    }

    private readonly record struct Key(string Name, int Height, int Width, bool AlignCorners, ScalarType Type,
        DeviceType DeviceType, int DeviceIndex);
}
