using Microsoft.ML.Runtime;
using TorchSharp;

namespace Microsoft.ML.Stn.MLNet;

/// <summary>
/// Chooses the torch device for training and scoring from ML.NET's own switch, <c>MLContext.GpuDeviceId</c> (null means
/// the CPU) and <c>MLContext.FallbackToCpu</c>, the way Microsoft.ML.TorchSharp does, but honouring the device index
/// (cuda:N). <see cref="StnClassifyOptions.GpuDeviceId"/> and <see cref="StnClassifyOptions.FallbackToCpu"/> override
/// the context's values when set.
/// </summary>
internal static class ComputeDevice
{
    /// <summary>
    /// The device to use, logged through <paramref name="channel"/>. A requested GPU that CUDA cannot provide gives the
    /// CPU with a warning when falling back is allowed, and otherwise an exception that names both settings.
    /// </summary>
    /// <param name="env">The environment whose <c>GpuDeviceId</c> and <c>FallbackToCpu</c> apply (the MLContext's).</param>
    /// <param name="channel">Where the choice and a fallback are logged.</param>
    /// <param name="gpuDeviceId">The options' override of <c>GpuDeviceId</c>, or null to take the context's.</param>
    /// <param name="fallbackToCpu">The options' override of <c>FallbackToCpu</c>, or null to take the context's.</param>
    /// <param name="purpose">What the device is for ("training", "scoring"), for the log.</param>
    public static torch.Device Choose(IHostEnvironment env, IChannel channel, int? gpuDeviceId, bool? fallbackToCpu, string purpose)
    {
        var context = env as IHostEnvironmentInternal;
        string idSetting = gpuDeviceId is null ? "MLContext.GpuDeviceId" : "StnClassifyOptions.GpuDeviceId";
        string fallbackSetting = fallbackToCpu is null ? "MLContext.FallbackToCpu" : "StnClassifyOptions.FallbackToCpu";
        int? id = gpuDeviceId ?? context?.GpuDeviceId;
        bool fallback = fallbackToCpu ?? context?.FallbackToCpu ?? false;
        if (id is null)
        {
            channel.Info("StnClassify {0} runs on the CPU.", purpose);
            return torch.CPU;
        }
        if (id < 0)
            throw channel.ExceptParam(idSetting, $"{idSetting} must be null (CPU) or a CUDA device index of 0 or more, but it is {id}.");

        // Asking TorchSharp about CUDA loads its CUDA backend if one is referenced; with TorchSharp-cpu it answers false.
        int devices = torch.cuda.is_available() ? torch.cuda.device_count() : 0;
        if (id < devices)
        {
            var device = new torch.Device(DeviceType.CUDA, id.Value);
            channel.Info("StnClassify {0} runs on {1} ({2} is {3}).", purpose, device, idSetting, id);
            return device;
        }

        string missing = devices == 0
            ? "CUDA is not available to TorchSharp in this process (TorchSharp-cpu is referenced, or no NVIDIA GPU and driver were found)"
            : $"CUDA has {devices} device(s) here, numbered from 0";
        if (fallback)
        {
            channel.Warning("{0} is {1} but {2}; {3} is true, so StnClassify {4} runs on the CPU.",
                idSetting, id, missing, fallbackSetting, purpose);
            return torch.CPU;
        }
        throw channel.Except(
            "{0} is {1} but {2}, and {3} is false. To run on an NVIDIA GPU, reference the package TorchSharp-cuda-linux " +
            "(or TorchSharp-cuda-windows) instead of TorchSharp-cpu; to run on the CPU instead, set {3} to true or {0} to null.",
            idSetting, id, missing, fallbackSetting);
    }
}
