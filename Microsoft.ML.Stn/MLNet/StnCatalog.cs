using Microsoft.ML.Data;
using Microsoft.ML.Stn;

namespace Microsoft.ML;

/// <summary>Creates <see cref="StnClassifyEstimator"/> from <c>mlContext.Transforms</c>.</summary>
public static class StnCatalog
{
    /// <summary>
    /// Trains a spatial transformer network image classifier. The input is a key-typed label and an image column
    /// (planar <c>vector&lt;float&gt;</c> as from <c>ExtractPixels</c>, or <c>MLImage</c>); the output adds
    /// <c>PredictedLabel</c>, <c>Score</c> and the learned warp θ (<c>Warp</c>).
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
        int imageHeight = 28,
        int imageWidth = 28,
        int channels = 1,
        TransformKind transform = TransformKind.Affine,
        int epochs = 10,
        int batchSize = 64,
        float learningRate = 1e-3f,
        bool useSpatialTransformer = true,
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
