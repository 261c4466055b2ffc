using static TorchSharp.torch;

namespace Microsoft.ML.Stn.Training;

/// <summary>What the trainer needs to know of the user's options, resolved and validated by the ML.NET layer, so the
/// training loop does not depend on the public options class.</summary>
internal sealed record TrainingSettings(
    int Epochs,
    int BatchSize,
    double LearningRate,
    double LocalisationLearningRate,
    StnOptimizer Optimizer,
    double Momentum,
    double WeightDecay,
    LearningRateSchedule Schedule,
    int StepEpochs,
    double Decay,
    int EarlyStoppingPatience,
    int Seed,
    CancellationToken CancellationToken,
    Action<StnTrainingProgress>? Progress,
    Device Device,
    double AlignmentWeight,
    int LocalisationWarmupEpochs);
