using Microsoft.ML.Data;

namespace Microsoft.ML.Stn;

/// <summary>
/// Options of <see cref="StnClassifyEstimator"/>: the input and output columns, the image geometry, the spatial
/// transformer, and training. The defaults train a useful model on 28×28 greyscale digits without tuning.
/// </summary>
public sealed class StnClassifyOptions
{
    /// <summary>Name of the key-typed label column (as produced by <c>MapValueToKey</c>). Default <c>Label</c>.</summary>
    public string LabelColumnName { get; set; } = DefaultColumnNames.Label;

    /// <summary>
    /// Name of the image column: either a known-size <c>vector&lt;float&gt;</c> of length
    /// <see cref="Channels"/> × <see cref="ImageHeight"/> × <see cref="ImageWidth"/> in planar (CHW) order, exactly what
    /// <c>ExtractPixels</c> produces with its defaults, or an <c>MLImage</c> column (converted with the same conventions:
    /// values 0–255, planes R, G, B; one channel through ML.NET's <c>ConvertToGrayscale</c>; resized by ML.NET's
    /// <c>ResizeImages</c>, filling the model's size, when its size differs).
    /// Default <c>Features</c>.
    /// </summary>
    public string FeatureColumnName { get; set; } = DefaultColumnNames.Features;

    /// <summary>Name of the output column of class probabilities (<c>vector&lt;float&gt;</c>). Default <c>Score</c>.</summary>
    public string ScoreColumnName { get; set; } = DefaultColumnNames.Score;

    /// <summary>Name of the output column of the predicted class, key-typed like the label. Default <c>PredictedLabel</c>.</summary>
    public string PredictedLabelColumnName { get; set; } = DefaultColumnNames.PredictedLabel;

    /// <summary>
    /// Name of the output column holding θ, the learned transform of each row,, in normalised coordinates: 6 floats (2×3,
    /// row-major) for every <see cref="TransformKind"/> but <see cref="TransformKind.Projective"/>, which gives 9 (3×3),
    /// and <see cref="TransformKind.ThinPlateSpline"/>, which gives 2K² (the control points' input positions, x then y
    /// per point, row-major over the grid; <see cref="Network.ThinPlateSplineGrid"/> turns them into a sampling grid).
    /// An output pixel at normalised (x, y) reads the input at θ·(x, y, 1) (divided by the third component for a 3×3 θ).
    /// With <see cref="TransformerCount"/> T the column holds T such blocks, transformer after transformer.
    /// Default <c>Theta</c>.
    /// </summary>
    public string ThetaColumnName { get; set; } = StnClassifyEstimator.Defaults.ThetaColumnName;

    /// <summary>
    /// Name of the output column of the bounding box, the input region the rectified image shows
    /// (<c>vector&lt;float&gt;</c> of 4: left, top, right, bottom), or <c>null</c> to leave it out. It is the enclosing box
    /// of the rectified image's four outer corners mapped through θ, in input pixel-edge coordinates: x runs from 0 (the
    /// left edge of column 0) to <see cref="ImageWidth"/> (the right edge of the last column), y likewise from the top,
    /// so the identity θ gives (0, 0, width, height) under either <see cref="AlignCorners"/> convention. With
    /// <see cref="AlignCorners"/> <c>false</c> the outer corners are normalised (±1, ±1); with <c>true</c> ±1 are the
    /// corner pixels' centres and the outer corners lie half a pixel beyond. Default <c>BoundingBox</c>.
    /// </summary>
    public string? BoundingBoxColumnName { get; set; } = StnClassifyEstimator.Defaults.BoundingBoxColumnName;

    /// <summary>
    /// Name of an output column for the rectified image V (planar <c>vector&lt;float&gt;</c> of
    /// <see cref="TransformerCount"/> × <see cref="Channels"/> × <see cref="OutputHeight"/> × <see cref="OutputWidth"/>,
    /// transformer after transformer, same value range as the input),
    /// or <c>null</c> (the default) to leave it out.
    /// </summary>
    public string? RectifiedImageColumnName { get; set; }

    /// <summary>Height of the input images in pixels. Default 28.</summary>
    public int ImageHeight { get; set; } = StnClassifyEstimator.Defaults.ImageHeight;

    /// <summary>Width of the input images in pixels. Default 28.</summary>
    public int ImageWidth { get; set; } = StnClassifyEstimator.Defaults.ImageWidth;

    /// <summary>Number of colour channels of the input images (1 for greyscale, 3 for RGB). Default 1.</summary>
    public int Channels { get; set; } = StnClassifyEstimator.Defaults.Channels;

    /// <summary>
    /// Height of the rectified image the sampler produces and the classifier reads; <c>null</c> (default) uses two
    /// thirds of <see cref="ImageHeight"/> (rounded) when <see cref="MomentNormalisation"/> frames the object, since the
    /// view then spans the object rather than the canvas, and <see cref="ImageHeight"/> otherwise. With moment
    /// normalisation the localisation net also reads each view at this size (at least 18 pixels, at most the input's).
    /// </summary>
    public int? OutputHeight { get; set; }

    /// <summary>Width of the rectified image; <c>null</c> (default) follows the rule of <see cref="OutputHeight"/> with
    /// <see cref="ImageWidth"/>.</summary>
    public int? OutputWidth { get; set; }

    /// <summary>Family of transforms the localisation net regresses. Default <see cref="TransformKind.Affine"/>.</summary>
    public TransformKind Transform { get; set; } = StnClassifyEstimator.Defaults.Transform;

    /// <summary>
    /// K, the number of control points along each side of a <see cref="TransformKind.ThinPlateSpline"/> transformer's
    /// K×K grid (ignored by the other kinds): at least 2 and at most the smaller output side. θ then holds 2K² values.
    /// More points bend more freely but give the localisation net more to regress. Default 4.
    /// </summary>
    public int ControlPointGridSize { get; set; } = StnClassifyEstimator.Defaults.ControlPointGridSize;

    /// <summary>
    /// Number of spatial transformers working in parallel, T (default 1). Each regresses its own θ from the input
    /// (they share the localisation net's layers up to the last), and the T rectified images are stacked along the
    /// channel axis into the classifier, which then reads T × <see cref="Channels"/> channels, at most
    /// <see cref="Network.ClassifierNet.MaximumInputChannels"/>. Every transformer starts at the identity; each feeds
    /// its own channels of the classifier, so training sets them apart. The warp column holds T blocks of θ one after the
    /// other, the rectified-image column T × <see cref="Channels"/> planes. Use T &gt; 1 when the label depends on several
    /// objects, each of which one transformer can bring into view.
    /// </summary>
    public int TransformerCount { get; set; } = StnClassifyEstimator.Defaults.TransformerCount;

    /// <summary>
    /// How often the localisation net looks at the image. Each step after the first warps the input with the θ found so
    /// far, regresses a correction from that view and composes it into θ (iterative refinement, after Lin and Lucey's
    /// inverse-compositional STN); the input is resampled once, with the final θ. Each step costs one more pass of the
    /// localisation net and the sampler. 1 is the classic spatial transformer. <c>null</c> (default) is 2, or 1 with
    /// <see cref="TransformKind.ThinPlateSpline"/>, which refinement does not support. With the default
    /// <see cref="LocalisationWidth"/> and <see cref="LocalisationWarmupEpochs"/>, two steps leave about half as much
    /// rotation after the warp as the classic transformer on distorted Fashion-MNIST; at the same rectified-image size
    /// they take about 1.5× its training time per epoch, and with the default size of a framed input 0.7× (the README's
    /// measured results).
    /// </summary>
    public int? RefinementSteps { get; set; }

    /// <summary>
    /// Whether the localisation net starts from the input's moments (classic moment normalisation): before it looks, the
    /// image is viewed in a square centred on the middle of the object's extent along and across its principal axis,
    /// with a half side of half the longer extent, and θ is that view composed with what the net regresses from it.
    /// The view sets the scale: the net's corrections keep it (<see cref="Network.MomentView.InkExtent"/>) and learn the
    /// rest of the pose (rotation, shear and the finer position). Objects then reach the net, and from the first epoch
    /// the classifier, centred and at one size. With <see cref="TransformKind.Attention"/>, the kind for boxes, the view
    /// is the object's own box along the image axes (<see cref="Network.MomentView.ObjectBox"/>): the ink joined to the
    /// densest part of the image, so that clutter apart from the object is left out. The mass is the positive pixel
    /// values: bright objects on the black background that the <see cref="PaddingMode.Zeros"/> padding also assumes;
    /// turn it off for other images, and for clutter with the other kinds (stray ink widens the extent). <c>null</c>
    /// (default) is <c>true</c> with one transformer, and
    /// <c>false</c> with several (one view does not place several objects) or with
    /// <see cref="TransformKind.ThinPlateSpline"/>, which does not start from a matrix. On distorted Fashion-MNIST it
    /// leaves less rotation, size and position after the warp and raises the accuracy (the README's measured results).
    /// </summary>
    public bool? MomentNormalisation { get; set; }

    /// <summary>
    /// Width factor of the localisation net: its convolutions have 8 × and 10 × this many channels and its hidden layer
    /// 32 × this many units. A wider localisation net learns the pose faster relative to the classifier. Default 2; 1 is
    /// the classic localisation net of the PyTorch spatial transformer tutorial.
    /// </summary>
    public int LocalisationWidth { get; set; } = StnClassifyEstimator.Defaults.LocalisationWidth;

    /// <summary>Batch normalisation after each of the localisation net's convolutions. Default <c>false</c>.</summary>
    public bool LocalisationBatchNorm { get; set; } = StnClassifyEstimator.Defaults.LocalisationBatchNorm;

    /// <summary>
    /// Batch normalisation after each of the classifier's convolutions (also for the baseline without the transformer).
    /// Default <c>false</c>.
    /// </summary>
    public bool ClassifierBatchNorm { get; set; } = StnClassifyEstimator.Defaults.ClassifierBatchNorm;

    /// <summary>
    /// Weight of the alignment loss (0 turns it off), added to the cross-entropy while training: 1 − the mean
    /// correlation between each rectified image and the other rectified images of its class in the batch. It asks the
    /// warp to bring every object of a class into one pose (congealing, from the class label alone), which the
    /// classification loss stops asking for once the classifier copes with every pose. Correlation alone would reward
    /// zooming out (small objects on a blank field look alike), so the same weight also penalises boxes that reach
    /// beyond the input, where the sampler reads only padding. Only the warp learns from it. <c>null</c> (default) is 2
    /// with one transformer and 0 with several: several transformers are there to look at different parts, and the
    /// loss pulls their warps together (two trained on glyph sums learned nearly the same warp). It is also 0 for
    /// <see cref="TransformKind.Attention"/> with <see cref="MomentNormalisation"/>, whose start, the object's box,
    /// already frames each object: on cluttered Fashion-MNIST the loss pulled the boxes off the garments (README).
    /// </summary>
    public float? AlignmentWeight { get; set; }

    /// <summary>How the sampler interpolates the input. Default <see cref="SamplingMode.Bilinear"/>.</summary>
    public SamplingMode Sampling { get; set; } = StnClassifyEstimator.Defaults.Sampling;

    /// <summary>What the sampler reads outside the input. Default <see cref="PaddingMode.Zeros"/>.</summary>
    public PaddingMode Padding { get; set; } = StnClassifyEstimator.Defaults.Padding;

    /// <summary>
    /// Coordinate convention of the grid. <c>false</c> (default): −1 and 1 are the outer edges of the border pixels,
    /// pixel j's centre is at (2j + 1)/W − 1. <c>true</c>: −1 and 1 are the centres of the border pixels.
    /// </summary>
    public bool AlignCorners { get; set; }

    /// <summary>
    /// <c>true</c> (default) trains the spatial transformer in front of the classifier; <c>false</c> trains the same
    /// classifier on the input directly (the warp column is then the identity), the honest baseline.
    /// </summary>
    public bool UseSpatialTransformer { get; set; } = StnClassifyEstimator.Defaults.UseSpatialTransformer;

    /// <summary>Number of passes over the training data. Default 10.</summary>
    public int Epochs { get; set; } = StnClassifyEstimator.Defaults.Epochs;

    /// <summary>Number of images per training step. Default 64.</summary>
    public int BatchSize { get; set; } = StnClassifyEstimator.Defaults.BatchSize;

    /// <summary>Initial learning rate of the classifier (and of the localisation net unless
    /// <see cref="LocalisationLearningRate"/> is set). Default 0.001.</summary>
    public float LearningRate { get; set; } = StnClassifyEstimator.Defaults.LearningRate;

    /// <summary>
    /// Initial learning rate of the localisation net; <c>null</c> (default) uses <see cref="LearningRate"/>. A spatial
    /// transformer only learns to undo rotation if it adapts faster than the classifier becomes invariant to it: a
    /// localisation rate about 10× the classifier's (for example 0.001 with <see cref="LearningRate"/> 0.0001) makes
    /// the warp measurably more canonical, at the cost of more epochs for the classifier. Much above 0.001 with Adam
    /// the localisation net tends to diverge (the warp leaves the image and accuracy drops to chance).
    /// </summary>
    public float? LocalisationLearningRate { get; set; }

    /// <summary>
    /// Epochs over which the localisation net's learning rate rises linearly, batch by batch, from nearly zero to its
    /// value (0 turns the warm-up off). The classifier trains at full rate from the start, so the warp only starts to
    /// move once the classifier gives it a useful gradient: from a random classifier, a localisation net at full rate
    /// can wander off the object on small training sets, most of all a refining, wide one. Default 1.
    /// </summary>
    public int LocalisationWarmupEpochs { get; set; } = StnClassifyEstimator.Defaults.LocalisationWarmupEpochs;

    /// <summary>Optimiser. Default <see cref="StnOptimizer.Adam"/>.</summary>
    public StnOptimizer Optimizer { get; set; } = StnClassifyEstimator.Defaults.Optimizer;

    /// <summary>Momentum of <see cref="StnOptimizer.Sgd"/>. Default 0.9.</summary>
    public float Momentum { get; set; } = StnClassifyEstimator.Defaults.Momentum;

    /// <summary>L2 weight decay. Default 0.</summary>
    public float WeightDecay { get; set; }

    /// <summary>
    /// Learning-rate schedule. Default <see cref="LearningRateSchedule.Cosine"/>: the falling rate lets the warp and the
    /// classifier settle together in the last epochs (README: on distorted Fashion-MNIST it narrowed the gap to a
    /// classifier on undistorted images from 3.2 to 2.5 points). <see cref="LearningRateSchedule.Constant"/> keeps the
    /// fixed rate that earlier versions trained at.
    /// </summary>
    public LearningRateSchedule LearningRateSchedule { get; set; } = StnClassifyEstimator.Defaults.LearningRateSchedule;

    /// <summary>Epochs between decays for <see cref="LearningRateSchedule.Step"/>. Default 5.</summary>
    public int LearningRateStepEpochs { get; set; } = StnClassifyEstimator.Defaults.LearningRateStepEpochs;

    /// <summary>Factor applied at each decay for <see cref="LearningRateSchedule.Step"/>. Default 0.1.</summary>
    public float LearningRateDecay { get; set; } = StnClassifyEstimator.Defaults.LearningRateDecay;

    /// <summary>
    /// Optional held-out data with the same schema as the training data. When given, accuracy on it is measured and
    /// logged after each epoch and the weights of the epoch with the best validation accuracy are kept.
    /// </summary>
    public IDataView? ValidationData { get; set; }

    /// <summary>With <see cref="ValidationData"/>: stop after this many epochs without a better validation accuracy;
    /// 0 (default) never stops early.</summary>
    public int EarlyStoppingPatience { get; set; }

    /// <summary>Seed for weight initialisation, shuffling and dropout; <c>null</c> (default) takes one from the
    /// <see cref="MLContext"/> (<c>new MLContext(seed)</c>).</summary>
    public int? Seed { get; set; }

    /// <summary>Torch intra-op threads used while training; <c>null</c> (default) uses all cores. libtorch's setting is
    /// process-wide, so it stays in force for scoring afterwards.</summary>
    public int? NumberOfThreads { get; set; }

    /// <summary>
    /// CUDA device index to train on (and to score on with the trained transformer), overriding
    /// <see cref="MLContext.GpuDeviceId"/>; <c>null</c> (default) takes the context's, whose own default, null, means the
    /// CPU. A GPU needs the package TorchSharp-cuda-linux (or TorchSharp-cuda-windows) in place of TorchSharp-cpu. A
    /// transformer loaded from a file runs on the device that the loading context's <see cref="MLContext.GpuDeviceId"/>
    /// names.
    /// </summary>
    public int? GpuDeviceId { get; set; }

    /// <summary>
    /// What happens when the GPU of <see cref="GpuDeviceId"/> (or <see cref="MLContext.GpuDeviceId"/>) is not available:
    /// <c>true</c> trains on the CPU with a warning in the log, <c>false</c> throws. Overrides
    /// <see cref="MLContext.FallbackToCpu"/>; <c>null</c> (default) takes the context's.
    /// </summary>
    public bool? FallbackToCpu { get; set; }

    /// <summary>Rows per forward pass when scoring through <c>Transform</c>. Default 256.</summary>
    public int ScoringBatchSize { get; set; } = StnClassifyEstimator.Defaults.ScoringBatchSize;

    /// <summary>
    /// Stops training before the next batch with an <see cref="OperationCanceledException"/>. ML.NET's own
    /// cancellation of the <see cref="MLContext"/> is honoured the same way.
    /// </summary>
    public CancellationToken CancellationToken { get; set; }

    /// <summary>
    /// Called after every training batch and at the end of every epoch, on the training thread. The running loss and
    /// accuracy are added up on the training device; a callback makes the trainer read them back after every batch,
    /// which on a GPU waits for the batch to finish, so leave it null where GPU speed matters (each epoch is still logged).
    /// </summary>
    public Action<StnTrainingProgress>? Progress { get; set; }
}
