namespace Microsoft.ML.Stn;

/// <summary>How the learning rate changes from epoch to epoch.</summary>
public enum LearningRateSchedule
{
    /// <summary>The learning rate stays at <see cref="StnClassifyOptions.LearningRate"/>.</summary>
    Constant,
    /// <summary>Multiplied by <see cref="StnClassifyOptions.LearningRateDecay"/> every
    /// <see cref="StnClassifyOptions.LearningRateStepEpochs"/> epochs.</summary>
    Step,
    /// <summary>Follows half a cosine from <see cref="StnClassifyOptions.LearningRate"/> down to zero over the epochs.</summary>
    Cosine,
}
