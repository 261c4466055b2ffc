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
    /// <summary>The defaults of the options, declared once for <see cref="StnClassifyOptions"/> and the catalog.</summary>
    internal static class Defaults
    {
        public const string ThetaColumnName = "Theta";
        public const string BoundingBoxColumnName = "BoundingBox";
        public const int ImageHeight = 28;
        public const int ImageWidth = 28;
        public const int Channels = 1;
        public const TransformKind Transform = TransformKind.Affine;
        public const SamplingMode Sampling = SamplingMode.Bilinear;
        public const PaddingMode Padding = PaddingMode.Zeros;
        public const bool UseSpatialTransformer = true;
        public const int Epochs = 10;
        public const int BatchSize = 64;
        public const float LearningRate = 1e-3f;
        public const StnOptimizer Optimizer = StnOptimizer.Adam;
        public const float Momentum = 0.9f;
        public const LearningRateSchedule LearningRateSchedule = Stn.LearningRateSchedule.Cosine;
        public const int LearningRateStepEpochs = 5;
        public const float LearningRateDecay = 0.1f;
        public const int ScoringBatchSize = 256;
        public const int ControlPointGridSize = Network.ThinPlateSplineGrid.DefaultControlPointGridSize;
        public const int TransformerCount = 1;
        public const int RefinementSteps = 2;
        public const bool MomentNormalisation = true;
        public const int LocalisationWidth = 2;
        public const bool LocalisationBatchNorm = false;
        public const bool ClassifierBatchNorm = false;
        public const float AlignmentWeight = 2f;
        public const int LocalisationWarmupEpochs = 1;

        /// <summary>
        /// The rectified image's side as a share of the input's when a moment view frames the object: the view spans
        /// the object's longest side, which on the canvases measured covers about two thirds of the input, so this
        /// samples the object at about the input's own resolution (README: on distorted Fashion-MNIST, 28×28 of 42×42,
        /// with the localisation net's looks at that size too, scores within the seeds' spread of 42×42 in less than
        /// half its training time).
        /// </summary>
        public const double RectifiedShareOfFramedInput = 2.0 / 3;
    }

    private readonly IHostEnvironment _env;
    private readonly IHost _host;
    private readonly StnClassifyOptions _options;

    internal StnClassifyEstimator(IHostEnvironment env, StnClassifyOptions options)
    {
        Contracts.CheckValue(env, nameof(env));
        // Kept to read MLContext.GpuDeviceId when Fit runs: a host copies it when registered.
        _env = env;
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
        StnOutputColumns.CheckBoundingBoxName(_host, o.BoundingBoxColumnName, input.Schema.Select(c => c.Name));
        if (o.ValidationData is { } validationData)
            CheckValidationSchema(validationData.Schema, label);

        TorchRuntime.EnsureAvailable();
        var device = ComputeDevice.Choose(_env, channel, o.GpuDeviceId, o.FallbackToCpu, "training");
        var architecture = Architecture(o, labels.Count);
        var settings = new TrainingSettings(o.Epochs, o.BatchSize, o.LearningRate, o.LocalisationLearningRate ?? o.LearningRate,
            o.Optimizer, o.Momentum, o.WeightDecay, o.LearningRateSchedule, o.LearningRateStepEpochs, o.LearningRateDecay,
            o.EarlyStoppingPatience, o.Seed ?? _host.Rand.Next(), o.CancellationToken, o.Progress, device,
            o.UseSpatialTransformer ? ResolvedAlignmentWeight(o) : 0, o.LocalisationWarmupEpochs);

        lock (TorchRuntime.TrainingLock)
        {
            TorchRuntime.SetThreads(o.NumberOfThreads);
            using var training = TrainingDataLoader.Load(channel, input, image, label, labels, "training");
            using var validation = o.ValidationData is { } v
                ? TrainingDataLoader.Load(channel, v, ImageInput.Bind(_host, v.Schema, o.FeatureColumnName, o.Channels, o.ImageHeight, o.ImageWidth),
                    v.Schema[o.LabelColumnName], labels, "validation")
                : null;
            channel.Info("Training {0} on {1} images of {2}×{3}×{4} ({5} classes){6}.",
                o.UseSpatialTransformer ? $"a spatial transformer ({o.Transform}) and classifier" : "the classifier without a spatial transformer",
                training.Count, o.Channels, o.ImageHeight, o.ImageWidth, labels.Count,
                validation is null ? "" : $", validating on {validation.Count}");
            var (network, history) = new StnTrainer(_host, settings).Train(architecture, training, validation, channel);
            return new StnClassifyTransformer(_host, network, ColumnNames(o), labels, o.ScoringBatchSize, history);
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
        if (!label.IsKey || label.Kind != SchemaShape.Column.VectorKind.Scalar || label.ItemType.RawType != typeof(uint))
            throw _host.ExceptSchemaMismatch(nameof(inputSchema), "label", o.LabelColumnName, "Key<UInt32> (apply MapValueToKey first)", label.GetTypeString());
        var labels = LabelKeys.ForShape(label);
        StnOutputColumns.CheckBoundingBoxName(_host, o.BoundingBoxColumnName, inputSchema.Select(c => c.Name));
        return new StnOutputColumns(ColumnNames(o), labels, Architecture(o, labels.Count)).OutputShape(inputSchema);
    }

    private static float ResolvedAlignmentWeight(StnClassifyOptions o) =>
        o.AlignmentWeight ?? (o.TransformerCount == 1 && ResolvedMomentView(o) != MomentView.ObjectBox ? Defaults.AlignmentWeight : 0f);

    private static StnArchitecture Architecture(StnClassifyOptions o, int classCount)
    {
        var (outputHeight, outputWidth) = ResolvedOutputSize(o);
        var view = ResolvedMomentView(o);
        // Every look of a framed input reads a view, which needs no more pixels than the rectified image shows (but
        // at least what the localisation net takes); without a frame the first look is the input itself.
        int? ViewSide(int input, int output) => view == MomentView.None ? null : Math.Min(input, Math.Max(output, LocalisationNet.MinimumInputSize));
        int? viewHeight = ViewSide(o.ImageHeight, outputHeight), viewWidth = ViewSide(o.ImageWidth, outputWidth);
        return new(o.Channels, o.ImageHeight, o.ImageWidth, outputHeight, outputWidth, classCount,
            o.Transform, o.Sampling, o.Padding, o.AlignCorners, o.UseSpatialTransformer, o.ControlPointGridSize, o.TransformerCount,
            ResolvedRefinementSteps(o), o.LocalisationWidth, o.LocalisationBatchNorm, o.ClassifierBatchNorm, view, viewHeight, viewWidth);
    }

    /// <summary>Whether a moment view frames the object before the localisation net looks.</summary>
    private static bool Framed(StnClassifyOptions o) => o.UseSpatialTransformer && ResolvedMomentNormalisation(o);

    /// <summary>The view a framed input starts from: the object's box for Attention, the kind for boxes; else the ink's extent.</summary>
    private static MomentView ResolvedMomentView(StnClassifyOptions o) =>
        !Framed(o) ? MomentView.None : o.Transform == TransformKind.Attention ? MomentView.ObjectBox : MomentView.InkExtent;

    private static (int Height, int Width) ResolvedOutputSize(StnClassifyOptions o)
    {
        int Side(int input) => Framed(o) ? Math.Max(1, (int)Math.Round(input * Defaults.RectifiedShareOfFramedInput)) : input;
        return (o.OutputHeight ?? Side(o.ImageHeight), o.OutputWidth ?? Side(o.ImageWidth));
    }

    private static int ResolvedRefinementSteps(StnClassifyOptions o) =>
        o.RefinementSteps ?? (o.Transform == TransformKind.ThinPlateSpline ? 1 : Defaults.RefinementSteps);

    private static bool ResolvedMomentNormalisation(StnClassifyOptions o) =>
        o.MomentNormalisation ?? (o.TransformerCount == 1 && o.Transform != TransformKind.ThinPlateSpline && Defaults.MomentNormalisation);

    private static StnColumnNames ColumnNames(StnClassifyOptions o) =>
        new(o.FeatureColumnName, o.PredictedLabelColumnName, o.ScoreColumnName, o.ThetaColumnName, o.BoundingBoxColumnName,
            o.RectifiedImageColumnName);

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

    private static void Validate(IExceptionContext ectx, StnClassifyOptions o)
    {
        ectx.CheckNonWhiteSpace(o.LabelColumnName, nameof(o.LabelColumnName));
        ectx.CheckNonWhiteSpace(o.FeatureColumnName, nameof(o.FeatureColumnName));
        ectx.CheckNonWhiteSpace(o.ScoreColumnName, nameof(o.ScoreColumnName));
        ectx.CheckNonWhiteSpace(o.PredictedLabelColumnName, nameof(o.PredictedLabelColumnName));
        ectx.CheckNonWhiteSpace(o.ThetaColumnName, nameof(o.ThetaColumnName));
        if (o.BoundingBoxColumnName is { } box)
            ectx.CheckNonWhiteSpace(box, nameof(o.BoundingBoxColumnName));
        if (o.RectifiedImageColumnName is { } rectifiedImage)
            ectx.CheckNonWhiteSpace(rectifiedImage, nameof(o.RectifiedImageColumnName));
        CheckDistinctOutputNames(ectx, o);
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
        if (o.AlignmentWeight is { } alignment && (!(alignment >= 0) || !float.IsFinite(alignment)))
            throw ectx.ExceptParam(nameof(o.AlignmentWeight), $"AlignmentWeight must be zero or positive, but it is {alignment}.");
        if (!(o.Momentum >= 0) || !(o.Momentum < 1))
            throw ectx.ExceptParam(nameof(o.Momentum), $"Momentum must be in [0, 1), but it is {o.Momentum}.");
        if (!(o.LearningRateDecay > 0) || !(o.LearningRateDecay <= 1))
            throw ectx.ExceptParam(nameof(o.LearningRateDecay), $"LearningRateDecay must be in (0, 1], but it is {o.LearningRateDecay}.");
        if (o.LocalisationWarmupEpochs < 0)
        {
            throw ectx.ExceptParam(nameof(o.LocalisationWarmupEpochs),
                $"LocalisationWarmupEpochs must be zero or positive, but it is {o.LocalisationWarmupEpochs}.");
        }
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
                string side = o.ImageHeight < LocalisationNet.MinimumInputSize ? nameof(o.ImageHeight) : nameof(o.ImageWidth);
                throw ectx.ExceptParam(side, $"The images are too small for the localisation net: {e.Message}");
            }
        }
        var (outputHeight, outputWidth) = ResolvedOutputSize(o);
        if (outputHeight < ClassifierNet.MinimumInputSide || outputWidth < ClassifierNet.MinimumInputSide)
        {
            throw ectx.ExceptParam(outputHeight < ClassifierNet.MinimumInputSide ? nameof(o.OutputHeight) : nameof(o.OutputWidth),
                $"The classifier needs at least {ClassifierNet.MinimumInputSide}×{ClassifierNet.MinimumInputSide} pixels, but the output size is {outputHeight}×{outputWidth}.");
        }
        TransformerOptionsValidation.Validate(ectx, o, outputHeight, outputWidth);
    }

    /// <summary>Two added columns of one name would hide each other.</summary>
    private static void CheckDistinctOutputNames(IExceptionContext ectx, StnClassifyOptions o)
    {
        var names = new (string Option, string? Name)[]
        {
            (nameof(o.PredictedLabelColumnName), o.PredictedLabelColumnName), (nameof(o.ScoreColumnName), o.ScoreColumnName),
            (nameof(o.ThetaColumnName), o.ThetaColumnName), (nameof(o.BoundingBoxColumnName), o.BoundingBoxColumnName),
            (nameof(o.RectifiedImageColumnName), o.RectifiedImageColumnName),
        };
        var clash = names.Where(n => n.Name is not null).GroupBy(n => n.Name).FirstOrDefault(g => g.Count() > 1);
        if (clash is not null)
        {
            throw ectx.ExceptParam(clash.Last().Option,
                $"{string.Join(" and ", clash.Select(n => n.Option))} are both '{clash.Key}'; each added column needs its own name.");
        }
    }

    private static void Positive(IExceptionContext ectx, int value, string name)
    {
        if (value <= 0)
            throw ectx.ExceptParam(name, $"{name} must be positive, but it is {value}.");
    }
}
