using System.Diagnostics;
using Microsoft.ML.Runtime;
using Microsoft.ML.Stn.Network;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Stn.Training;

/// <summary>Trains an <see cref="StnClassifierNetwork"/> end to end with cross-entropy on the class label.</summary>
internal sealed class StnTrainer
{
    private const int EvaluationBatchSize = 512;
    private readonly IHost _host;
    private readonly TrainingSettings _settings;

    public StnTrainer(IHost host, TrainingSettings settings)
    {
        _host = host;
        _settings = settings;
    }

    /// <summary>
    /// Runs the planned epochs (fewer with early stopping) and returns the network in eval mode with the weights of
    /// the best validation epoch (or the last epoch without validation data), and one report per epoch.
    /// </summary>
    public (StnClassifierNetwork Network, IReadOnlyList<StnTrainingProgress> History) Train(
        StnArchitecture architecture, LabelledImageTensors training, LabelledImageTensors? validation, IChannel channel)
    {
        var device = _settings.Device;
        torch.manual_seed(_settings.Seed);
        // TorchSharp's manual_seed seeds only the CPU generator; dropout on a GPU draws from the GPU's (a no-op without CUDA).
        torch.cuda.manual_seed_all(_settings.Seed);
        var rng = new Random(_settings.Seed);
        // Built and initialised on the CPU, so the initial weights are the same whatever the device.
        var network = new StnClassifierNetwork(architecture);
        network.SetInputScale(InputScale(training.Images));
        try
        {
            network.MoveTo(device);
        }
        catch
        {
            network.Dispose();
            throw;
        }

        using var optimizer = CreateOptimizer(network);
        var scheduler = CreateScheduler(optimizer);
        var history = new List<StnTrainingProgress>();
        Dictionary<string, Tensor>? best = null;
        double bestAccuracy = double.NegativeInfinity;
        int epochsWithoutImprovement = 0;

        int count = training.Count;
        int batchSize = Math.Min(_settings.BatchSize, count);
        int batches = (count + batchSize - 1) / batchSize;
        var order = new long[count];
        var warmup = new LocalisationWarmup(optimizer, (long)_settings.LocalisationWarmupEpochs * batches);
        var clock = Stopwatch.StartNew();
        try
        {
            using var trainingData = DeviceData.Place(training, device, channel, "training");
            using var validationData = validation is null ? null : DeviceData.Place(validation, device, channel, "validation");
            using var totals = new RunningTotals(device);
            for (int epoch = 1; epoch <= _settings.Epochs; epoch++)
            {
                for (int i = 0; i < count; i++) order[i] = i;
                rng.Shuffle(order);
                using var permutation = trainingData.Order(order);

                network.train();
                warmup.BeginEpoch();
                var epochClock = Stopwatch.StartNew();
                totals.Reset();
                long seen = 0;
                for (int b = 0; b < batches; b++)
                {
                    _host.CheckAlive();
                    _settings.CancellationToken.ThrowIfCancellationRequested();
                    using (var scope = NewDisposeScope())
                    {
                        int start = b * batchSize, n = Math.Min(batchSize, count - start);
                        var (images, labels) = trainingData.Batch(permutation.narrow(0, start, n));
                        optimizer.zero_grad();
                        var (logits, theta, rectified) = network.forward(images);
                        var loss = nn.functional.cross_entropy(logits, labels);
                        if (_settings.AlignmentWeight > 0)
                        {
                            var alignment = AlignmentLoss.Compute(rectified, labels, architecture.ClassCount)
                                .Plus(AlignmentLoss.BeyondInput(network.BoundingBoxes(theta), architecture.Height, architecture.Width));
                            loss = loss.Plus(alignment.Times(_settings.AlignmentWeight));
                        }
                        loss.backward();
                        warmup.BeforeStep();
                        optimizer.step();
                        totals.Add(loss, logits, labels, n);
                        seen += n;
                    }
                    // Reading the totals waits for the device, so only a per-batch callback makes the trainer read them per batch.
                    if (_settings.Progress is { } callback)
                    {
                        var (batchLoss, batchCorrect) = totals.Read();
                        callback(Report(false, epoch, b + 1, batches, batchLoss / seen, batchCorrect / seen, null,
                            seen / epochClock.Elapsed.TotalSeconds, clock.Elapsed));
                    }
                }

                var (lossSum, correct) = totals.Read();
                double imagesPerSecond = seen / epochClock.Elapsed.TotalSeconds;
                double? validationAccuracy = validationData is null ? null : Accuracy(network, validationData);
                var report = Report(true, epoch, batches, batches, lossSum / seen, correct / seen, validationAccuracy,
                    imagesPerSecond, clock.Elapsed);
                history.Add(report);
                channel.Info(
                    "Epoch {0}/{1}: loss {2:F4}, training accuracy {3:P2}, validation accuracy {4}, {5:F0} images/s, learning rate {6:G3}",
                    epoch, _settings.Epochs, report.Loss, report.TrainingAccuracy,
                    validationAccuracy is { } v ? v.ToString("P2") : "n/a", report.ImagesPerSecond, optimizer.ParamGroups.First().LearningRate);
                _settings.Progress?.Invoke(report);
                warmup.EndEpoch();
                scheduler?.step();

                if (validationAccuracy is { } accuracy)
                {
                    if (accuracy > bestAccuracy)
                    {
                        bestAccuracy = accuracy;
                        epochsWithoutImprovement = 0;
                        DisposeAll(best);
                        best = Snapshot(network);
                    }
                    else if (_settings.EarlyStoppingPatience > 0 && ++epochsWithoutImprovement >= _settings.EarlyStoppingPatience)
                    {
                        channel.Info("Early stopping after epoch {0}: no better validation accuracy for {1} epochs.",
                            epoch, epochsWithoutImprovement);
                        break;
                    }
                }
            }
            if (best is not null)
            {
                network.load_state_dict(best);
                channel.Info("Kept the weights of the epoch with the best validation accuracy ({0:P2}).", bestAccuracy);
            }
        }
        catch
        {
            network.Dispose();
            throw;
        }
        finally
        {
            DisposeAll(best);
        }
        network.eval();
        return (network, history);
    }

    /// <summary>Accuracy of the network in eval mode, in batches, without gradients; counted on the device, read once.</summary>
    private static double Accuracy(StnClassifierNetwork network, DeviceData data)
    {
        network.eval();
        using var _ = no_grad();
        using var correct = zeros(1, ScalarType.Int64, data.Device);
        for (int start = 0; start < data.Count; start += EvaluationBatchSize)
        {
            using var scope = NewDisposeScope();
            var (images, labels) = data.Range(start, Math.Min(EvaluationBatchSize, data.Count - start));
            correct.AddInPlace(network.forward(images).Logits.argmax(1).eq(labels).sum());
        }
        return (double)correct.item<long>() / data.Count;
    }

    /// <summary>1 / root mean square of the training pixels, so the networks see values of order one.</summary>
    private static float InputScale(Tensor images)
    {
        using var scope = NewDisposeScope();
        double rms = images.norm().item<float>() / Math.Sqrt(images.numel());
        return rms > 0 ? (float)(1.0 / rms) : 1f;
    }

    /// <summary>
    /// Two parameter groups: the localisation net learns at its own rate, everything else at the classifier's.
    /// </summary>
    private OptimizerHelper CreateOptimizer(StnClassifierNetwork network)
    {
        var localisation = network.LocalisationParameters().ToList();
        var others = network.parameters().Except(localisation).ToList();
        double rate = _settings.LearningRate, localisationRate = _settings.LocalisationLearningRate;
        double decay = _settings.WeightDecay, momentum = _settings.Momentum;
        if (_settings.Optimizer == StnOptimizer.Sgd)
        {
            var groups = new List<SGD.ParamGroup> { new(others, rate, momentum, 0, decay, false, false) };
            if (localisation.Count > 0) groups.Add(new(localisation, localisationRate, momentum, 0, decay, false, false));
            return optim.SGD(groups, rate);
        }
        var adamGroups = new List<Adam.ParamGroup> { new(others, rate, 0.9, 0.999, 1e-8, decay, false, false) };
        if (localisation.Count > 0) adamGroups.Add(new(localisation, localisationRate, 0.9, 0.999, 1e-8, decay, false, false));
        return optim.Adam(adamGroups, rate);
    }

    /// <summary>
    /// TorchSharp's scheduler for the chosen schedule, stepped once per epoch; it scales every group's initial rate, so
    /// the localisation net keeps its ratio to the classifier. None for a constant rate.
    /// </summary>
    private optim.lr_scheduler.LRScheduler? CreateScheduler(optim.Optimizer optimizer) => _settings.Schedule switch
    {
        LearningRateSchedule.Step => optim.lr_scheduler.StepLR(optimizer, Math.Max(1, _settings.StepEpochs), _settings.Decay),
        LearningRateSchedule.Cosine => optim.lr_scheduler.CosineAnnealingLR(optimizer, _settings.Epochs),
        _ => null,
    };

    private StnTrainingProgress Report(bool isEpochEnd, int epoch, int batch, int batches, double loss,
        double trainingAccuracy, double? validationAccuracy, double imagesPerSecond, TimeSpan elapsed)
    {
        double done = (epoch - 1) + (double)batch / batches;
        var remaining = TimeSpan.FromSeconds(elapsed.TotalSeconds / done * (_settings.Epochs - done));
        return new StnTrainingProgress
        {
            IsEpochEnd = isEpochEnd,
            Epoch = epoch,
            Epochs = _settings.Epochs,
            Batch = batch,
            Batches = batches,
            Loss = loss,
            TrainingAccuracy = trainingAccuracy,
            ValidationAccuracy = validationAccuracy,
            ImagesPerSecond = imagesPerSecond,
            Elapsed = elapsed,
            Remaining = remaining,
        };
    }

    private static Dictionary<string, Tensor> Snapshot(StnClassifierNetwork network)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        return network.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone().DetachFromDisposeScope());
    }

    private static void DisposeAll(Dictionary<string, Tensor>? tensors)
    {
        if (tensors is null) return;
        foreach (var tensor in tensors.Values) tensor.Dispose();
    }
}
