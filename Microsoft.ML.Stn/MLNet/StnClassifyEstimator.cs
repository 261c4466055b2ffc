using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using Microsoft.ML.Stn.MLNet;
using Microsoft.ML.Stn.Network;
using Microsoft.ML.Stn.Platform;
using Microsoft.ML.Stn.Training;

namespace Microsoft.ML.Stn;

/// <summary>
/// Trains a spatial transformer network (localisation net, grid generator, bilinear sampler) and a CNN classifier
/// end to end from the class label, with TorchSharp. Create it with
/// <see cref="StnCatalog.StnClassify(TransformsCatalog, StnClassifyOptions)"/>.
/// </summary>
public sealed class StnClassifyEstimator : IEstimator<StnClassifyTransformer>
{
    private readonly IHost _host;
    private readonly StnClassifyOptions _options;

    internal StnClassifyEstimator(IHostEnvironment env, StnClassifyOptions options)
    {
        Contracts.CheckValue(env, nameof(env));
        _host = env.Register(nameof(StnClassifyEstimator));
        _host.CheckValue(options, nameof(options));
        Validate(_host, options);
        _options = options;
    }

    /// <summary>Trains on <paramref name="input"/> (and watches <see cref="StnClassifyOptions.ValidationData"/>).</summary>
    public StnClassifyTransformer Fit(IDataView input)
    {
        _host.CheckValue(input, nameof(input));
        var o = _options;
        using var channel = _host.Start("Training");
        var image = ImageInput.Bind(_host, input.Schema, o.FeatureColumnName, o.Channels, o.ImageHeight, o.ImageWidth);
        var label = input.Schema.GetColumnOrNull(o.LabelColumnName)
            ?? throw _host.ExceptSchemaMismatch(nameof(input), "label", o.LabelColumnName);
        var labels = LabelKeys.FromColumn(channel, label);
        if (o.ValidationData is { } validationData)
            CheckValidationSchema(validationData.Schema, label);

        TorchRuntime.EnsureAvailable();
        var architecture = new StnArchitecture(o.Channels, o.ImageHeight, o.ImageWidth, o.OutputHeight ?? o.ImageHeight,
            o.OutputWidth ?? o.ImageWidth, labels.Count, o.Transform, o.Sampling, o.Padding, o.AlignCorners, o.UseSpatialTransformer,
            o.ControlPointGridSize, o.TransformerCount);
        int seed = o.Seed ?? _host.Rand.Next();

        lock (TorchRuntime.TrainingLock)
        {
            TorchRuntime.SetThreads(o.NumberOfThreads);
            using var training = TrainingDataLoader.Load(channel, input, image, label, o.Channels, o.ImageHeight, o.ImageWidth, "training");
            CheckClasses(channel, training, labels, label.Name);
            using var validation = o.ValidationData is { } v
                ? TrainingDataLoader.Load(channel, v, ImageInput.Bind(_host, v.Schema, o.FeatureColumnName, o.Channels, o.ImageHeight, o.ImageWidth),
                    v.Schema[o.LabelColumnName], o.Channels, o.ImageHeight, o.ImageWidth, "validation")
                : null;
            channel.Info("Training {0} on {1} images of {2}×{3}×{4} ({5} classes){6}.",
                o.UseSpatialTransformer ? $"a spatial transformer ({o.Transform}) and classifier" : "the classifier without a spatial transformer",
                training.Count, o.Channels, o.ImageHeight, o.ImageWidth, labels.Count,
                validation is null ? "" : $", validating on {validation.Count}");
            var (network, history) = new StnTrainer(_host, o, seed).Train(architecture, training, validation, channel);
            var names = new StnColumnNames(o.FeatureColumnName, o.PredictedLabelColumnName, o.ScoreColumnName, o.WarpColumnName,
                o.RectifiedImageColumnName);
            return new StnClassifyTransformer(_host, network, names, labels, o.ScoringBatchSize, history);
        }
    }

    /// <inheritdoc/>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        _host.CheckValue(inputSchema, nameof(inputSchema));
        var o = _options;
        ImageInput.Check(_host, inputSchema, o.FeatureColumnName, o.Channels, o.ImageHeight, o.ImageWidth);
        if (!inputSchema.TryFindColumn(o.LabelColumnName, out var label))
            throw _host.ExceptSchemaMismatch(nameof(inputSchema), "label", o.LabelColumnName);
        if (!label.IsKey)
            throw _host.ExceptSchemaMismatch(nameof(inputSchema), "label", o.LabelColumnName, "Key<UInt32> (apply MapValueToKey first)", label.GetTypeString());

        var columns = inputSchema.ToDictionary(c => c.Name);
        var keyAnnotations = label.Annotations.TryFindColumn(AnnotationUtils.Kinds.KeyValues, out var keyValues)
            ? new SchemaShape(new[] { keyValues })
            : new SchemaShape(Array.Empty<SchemaShape.Column>());
        columns[o.PredictedLabelColumnName] = new SchemaShape.Column(o.PredictedLabelColumnName, SchemaShape.Column.VectorKind.Scalar,
            NumberDataViewType.UInt32, true, keyAnnotations);
        var scoreAnnotations = new List<SchemaShape.Column>
        {
            new(AnnotationUtils.Kinds.ScoreColumnKind, SchemaShape.Column.VectorKind.Scalar, TextDataViewType.Instance, false),
            new(AnnotationUtils.Kinds.ScoreValueKind, SchemaShape.Column.VectorKind.Scalar, TextDataViewType.Instance, false),
        };
        if (keyValues.IsValid)
            scoreAnnotations.Add(new(AnnotationUtils.Kinds.SlotNames, SchemaShape.Column.VectorKind.Vector, TextDataViewType.Instance, false));
        columns[o.ScoreColumnName] = new SchemaShape.Column(o.ScoreColumnName, SchemaShape.Column.VectorKind.Vector,
            NumberDataViewType.Single, false, new SchemaShape(scoreAnnotations));
        columns[o.WarpColumnName] = new SchemaShape.Column(o.WarpColumnName, SchemaShape.Column.VectorKind.Vector,
            NumberDataViewType.Single, false);
        if (o.RectifiedImageColumnName is { } rectified)
        {
            columns[rectified] = new SchemaShape.Column(rectified, SchemaShape.Column.VectorKind.Vector,
                NumberDataViewType.Single, false);
        }
        return new SchemaShape(columns.Values);
    }

    private void CheckValidationSchema(DataViewSchema schema, DataViewSchema.Column trainingLabel)
    {
        var label = schema.GetColumnOrNull(_options.LabelColumnName)
            ?? throw _host.ExceptSchemaMismatch(nameof(StnClassifyOptions.ValidationData), "label", _options.LabelColumnName);
        if (!label.Type.Equals(trainingLabel.Type))
        {
            throw _host.ExceptSchemaMismatch(nameof(StnClassifyOptions.ValidationData), "label", _options.LabelColumnName,
                trainingLabel.Type.ToString(), label.Type.ToString());
        }
    }

    private static void CheckClasses(IChannel channel, LabelledImageTensors training, LabelKeys labels, string labelColumn)
    {
        using var scope = global::TorchSharp.torch.NewDisposeScope();
        var distinct = training.Labels.unique().Item1;
        if (distinct.shape[0] < 2)
        {
            throw channel.Except("The training data has a single class ('{0}') in label column '{1}'; a classifier needs at least two.",
                labels.Name((int)distinct[0].item<long>()), labelColumn);
        }
    }

    private static void Validate(IExceptionContext ectx, StnClassifyOptions o)
    {
        ectx.CheckNonWhiteSpace(o.LabelColumnName, nameof(o.LabelColumnName));
        ectx.CheckNonWhiteSpace(o.FeatureColumnName, nameof(o.FeatureColumnName));
        ectx.CheckNonWhiteSpace(o.ScoreColumnName, nameof(o.ScoreColumnName));
        ectx.CheckNonWhiteSpace(o.PredictedLabelColumnName, nameof(o.PredictedLabelColumnName));
        ectx.CheckNonWhiteSpace(o.WarpColumnName, nameof(o.WarpColumnName));
        Positive(ectx, o.ImageHeight, nameof(o.ImageHeight));
        Positive(ectx, o.ImageWidth, nameof(o.ImageWidth));
        Positive(ectx, o.Channels, nameof(o.Channels));
        Positive(ectx, o.OutputHeight ?? 1, nameof(o.OutputHeight));
        Positive(ectx, o.OutputWidth ?? 1, nameof(o.OutputWidth));
        Positive(ectx, o.Epochs, nameof(o.Epochs));
        Positive(ectx, o.BatchSize, nameof(o.BatchSize));
        Positive(ectx, o.ScoringBatchSize, nameof(o.ScoringBatchSize));
        Positive(ectx, o.NumberOfThreads ?? 1, nameof(o.NumberOfThreads));
        Positive(ectx, o.LearningRateStepEpochs, nameof(o.LearningRateStepEpochs));
        if (!(o.LearningRate > 0) || !float.IsFinite(o.LearningRate))
            throw ectx.ExceptParam(nameof(o.LearningRate), $"LearningRate must be a positive number, but it is {o.LearningRate}.");
        if (o.LocalisationLearningRate is { } localisationRate && (!(localisationRate > 0) || !float.IsFinite(localisationRate)))
        {
            throw ectx.ExceptParam(nameof(o.LocalisationLearningRate),
                $"LocalisationLearningRate must be a positive number, but it is {localisationRate}.");
        }
        if (!(o.WeightDecay >= 0) || !float.IsFinite(o.WeightDecay))
            throw ectx.ExceptParam(nameof(o.WeightDecay), $"WeightDecay must be zero or positive, but it is {o.WeightDecay}.");
        if (!(o.Momentum >= 0) || !(o.Momentum < 1))
            throw ectx.ExceptParam(nameof(o.Momentum), $"Momentum must be in [0, 1), but it is {o.Momentum}.");
        if (!(o.LearningRateDecay > 0) || !(o.LearningRateDecay <= 1))
            throw ectx.ExceptParam(nameof(o.LearningRateDecay), $"LearningRateDecay must be in (0, 1], but it is {o.LearningRateDecay}.");
        if (o.EarlyStoppingPatience < 0)
            throw ectx.ExceptParam(nameof(o.EarlyStoppingPatience), $"EarlyStoppingPatience must be zero or positive, but it is {o.EarlyStoppingPatience}.");
        if (o.UseSpatialTransformer)
        {
            try
            {
                LocalisationNet.Validate(o.Channels, o.ImageHeight, o.ImageWidth);
            }
            catch (ArgumentException e)
            {
                throw ectx.ExceptParam(nameof(o.ImageHeight), $"The images are too small for the localisation net: {e.Message}");
            }
        }
        int outputHeight = o.OutputHeight ?? o.ImageHeight, outputWidth = o.OutputWidth ?? o.ImageWidth;
        if (outputHeight < ClassifierNet.MinimumInputSide || outputWidth < ClassifierNet.MinimumInputSide)
        {
            throw ectx.ExceptParam(nameof(o.OutputHeight),
                $"The classifier needs at least {ClassifierNet.MinimumInputSide}×{ClassifierNet.MinimumInputSide} pixels, but the output size is {outputHeight}×{outputWidth}.");
        }
        TransformerOptionsValidation.Validate(ectx, o, outputHeight, outputWidth);
    }

    private static void Positive(IExceptionContext ectx, int value, string name)
    {
        if (value <= 0)
            throw ectx.ExceptParam(name, $"{name} must be positive, but it is {value}.");
    }
}
