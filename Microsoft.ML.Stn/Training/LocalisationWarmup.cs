using TorchSharp.Modules;
using static TorchSharp.torch.optim;

namespace Microsoft.ML.Stn.Training;

/// <summary>
/// Raises the localisation net's learning rate linearly from nearly zero to its scheduled value over the first
/// <c>steps</c> batches, while the classifier trains at full rate. Early on the classifier is random and the gradient
/// that reaches θ is noise; at full rate, a refining or wide localisation net can follow it off the object before the
/// classifier knows what to look for (a collapse on small training sets). The warm-up scales whatever rate the
/// schedule set for the epoch and restores it before the schedule takes its next step, so the two never compound.
/// </summary>
internal sealed class LocalisationWarmup
{
    private readonly ILearningRateController? _group;
    private readonly long _steps;
    private long _step;
    private double _scheduledRate;

    /// <param name="optimizer">The trainer's optimiser, whose second parameter group (if any) is the localisation net's.</param>
    /// <param name="steps">Batches until full rate; 0 turns the warm-up off.</param>
    public LocalisationWarmup(OptimizerHelper optimizer, long steps)
    {
        _group = optimizer.ParamGroups.Skip(1).FirstOrDefault();
        _steps = steps;
    }

    /// <summary>Reads the rate the schedule set for this epoch.</summary>
    public void BeginEpoch()
    {
        if (_group is not null) _scheduledRate = _group.LearningRate;
    }

    /// <summary>Sets the localisation net's rate for the coming optimiser step.</summary>
    public void BeforeStep()
    {
        if (_group is null || _step >= _steps) return;
        _step++;
        _group.LearningRate = _scheduledRate * _step / _steps;
    }

    /// <summary>Gives the schedule back the rate it set.</summary>
    public void EndEpoch()
    {
        if (_group is not null) _group.LearningRate = _scheduledRate;
    }
}
