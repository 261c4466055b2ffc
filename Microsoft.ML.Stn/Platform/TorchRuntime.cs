using TorchSharp;

namespace Microsoft.ML.Stn.Platform;

/// <summary>
/// The one door to libtorch: turns a native library that cannot load into an exception that says why and what to do
/// (instead of TorchSharp's generic trace), and holds the process-wide torch settings this library changes.
/// </summary>
internal static class TorchRuntime
{
    private static readonly Lazy<Exception?> s_loadFailure = new(TryLoad);

    /// <summary>
    /// Serialises training: libtorch's random generator and thread count are process-wide, so two concurrent
    /// trainings would make each other irreproducible.
    /// </summary>
    public static readonly object TrainingLock = new();

    public static void EnsureAvailable()
    {
        if (s_loadFailure.Value is { } failure)
        {
            throw new InvalidOperationException(
                "Microsoft.ML.Stn cannot use TorchSharp: its native library libLibTorchSharp could not be loaded (" +
                failure.GetBaseException().Message + "). On Linux with a libstdc++ older than GCC 13 (Debian 12, " +
                "Ubuntu 22.04) the cause is its requirement of GLIBCXX_3.4.32: reference the Microsoft.ML.Stn package " +
                "(not just its DLL) so that its build targets relax that requirement in the copy in your build output, " +
                "or install a libstdc++ from GCC 13 or newer. Also check that the TorchSharp-cpu package's native " +
                "assets were copied to the output (runtimes/<rid>/native).", failure);
        }
    }

    /// <summary>
    /// For the base-constructor call of this library's modules, which runs before anything else in them can touch
    /// libtorch: ensures it loads, then returns <paramref name="name"/>.
    /// </summary>
    public static string CheckedModuleName(string name)
    {
        EnsureAvailable();
        return name;
    }

    /// <summary>Applies the intra-op thread count: the given one, or all cores.</summary>
    public static void SetThreads(int? threads)
    {
        int wanted = threads ?? Environment.ProcessorCount;
        if (torch.get_num_threads() != wanted)
            torch.set_num_threads(wanted);
    }

    private static Exception? TryLoad()
    {
        try
        {
            torch.InitializeDeviceType(DeviceType.CPU);
            return null;
        }
        catch (Exception e) when (e is DllNotFoundException or TypeInitializationException or NotSupportedException
                                      or BadImageFormatException or EntryPointNotFoundException or InvalidOperationException)
        {
            return e;
        }
    }
}
