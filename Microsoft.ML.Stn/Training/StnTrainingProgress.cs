namespace Microsoft.ML.Stn;

/// <summary>Progress of <see cref="StnClassifyEstimator.Fit"/>, reported after each batch and each epoch.</summary>
public sealed class StnTrainingProgress
{
    /// <summary><c>true</c> for the report that ends an epoch (it carries the accuracies), <c>false</c> after a batch.</summary>
    public required bool IsEpochEnd { get; init; }

    /// <summary>Epoch, from 1.</summary>
    public required int Epoch { get; init; }

    /// <summary>Number of epochs planned.</summary>
    public required int Epochs { get; init; }

    /// <summary>Batches done in this epoch.</summary>
    public required int Batch { get; init; }

    /// <summary>Batches per epoch.</summary>
    public required int Batches { get; init; }

    /// <summary>Mean training loss over this epoch's batches so far: the cross-entropy, plus the alignment loss times
    /// <see cref="StnClassifyOptions.AlignmentWeight"/> when a spatial transformer is trained.</summary>
    public required double Loss { get; init; }

    /// <summary>Accuracy on the training batches of this epoch so far.</summary>
    public required double TrainingAccuracy { get; init; }

    /// <summary>Accuracy on the validation data at the end of the epoch; <c>null</c> without validation data or
    /// before the epoch ends.</summary>
    public double? ValidationAccuracy { get; init; }

    /// <summary>Training throughput of this epoch so far.</summary>
    public required double ImagesPerSecond { get; init; }

    /// <summary>Time since training started.</summary>
    public required TimeSpan Elapsed { get; init; }

    /// <summary>Estimated time until the planned epochs end.</summary>
    public required TimeSpan Remaining { get; init; }
}
