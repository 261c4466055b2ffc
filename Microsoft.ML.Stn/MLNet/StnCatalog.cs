using Microsoft.ML.Data;
using Microsoft.ML.Stn;

namespace Microsoft.ML;

/// <summary>Creates <see cref="StnClassifyEstimator"/> from <c>mlContext.Transforms</c>.</summary>
public static class StnCatalog
{
    /// <summary>
    /// Trains a spatial transformer network image classifier. The input is a key-typed label and an image column
    /// (planar <c>vector&lt;float&gt;</c> as from <c>ExtractPixels</c>, or <c>MLImage</c>); the output adds
    /// <c>PredictedLabel</c>, <c>Score</c>, the learned transform θ (<c>Theta</c>) and the region it reads (<c>BoundingBox</c>).
    /// </summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="labelColumnName">Key-typed label column (after <c>MapValueToKey</c>).</param>
    /// <param name="featureColumnName">Image column.</param>
    /// <param name="imageHeight">Height of the images in pixels.</param>
    /// <param name="imageWidth">Width of the images in pixels.</param>
    /// <param name="channels">Colour channels: 1 (greyscale) or 3 (RGB).</param>
    /// <param name="transform">Family of transforms the spatial transformer learns.</param>
    /// <param name="epochs">Passes over the training data.</param>
    /// <param name="batchSize">Images per training step.</param>
    /// <param name="learningRate">Initial learning rate.</param>
    /// <param name="useSpatialTransformer">False trains the same classifier without the spatial transformer.</param>
    /// <param name="validationData">Optional held-out data: per-epoch validation accuracy, best epoch's weights kept.</param>
    public static StnClassifyEstimator StnClassify(this TransformsCatalog catalog,
        string labelColumnName = DefaultColumnNames.Label,
        string featureColumnName = DefaultColumnNames.Features,
        int imageHeight = StnClassifyEstimator.Defaults.ImageHeight,
        int imageWidth = StnClassifyEstimator.Defaults.ImageWidth,
        int channels = StnClassifyEstimator.Defaults.Channels,
        TransformKind transform = StnClassifyEstimator.Defaults.Transform,
        int epochs = StnClassifyEstimator.Defaults.Epochs,
        int batchSize = StnClassifyEstimator.Defaults.BatchSize,
        float learningRate = StnClassifyEstimator.Defaults.LearningRate,
        bool useSpatialTransformer = StnClassifyEstimator.Defaults.UseSpatialTransformer,
        IDataView? validationData = null)
        => catalog.StnClassify(new StnClassifyOptions
        {
            LabelColumnName = labelColumnName,
            FeatureColumnName = featureColumnName,
            ImageHeight = imageHeight,
            ImageWidth = imageWidth,
            Channels = channels,
            Transform = transform,
            Epochs = epochs,
            BatchSize = batchSize,
            LearningRate = learningRate,
            UseSpatialTransformer = useSpatialTransformer,
            ValidationData = validationData,
        });

    /// <summary>Trains a spatial transformer network image classifier with every option.</summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="options">Columns, geometry, spatial transformer and training options.</param>
    public static StnClassifyEstimator StnClassify(this TransformsCatalog catalog, StnClassifyOptions options)
    {
        Runtime.Contracts.CheckValue(catalog, nameof(catalog));
        return new StnClassifyEstimator(Data.CatalogUtils.GetEnvironment(catalog), options);
    }
}
