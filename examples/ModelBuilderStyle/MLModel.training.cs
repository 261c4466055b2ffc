using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Stn;
using Microsoft.ML.Transforms.Image;

namespace ModelBuilderStyle;

public static partial class MLModel
{
    public const int ImageSide = 32;

    /// <summary>Image loading, greyscale pixel extraction and the spatial transformer classifier.</summary>
    public static IEstimator<ITransformer> BuildPipeline(MLContext ml, string imageFolder, int epochs) =>
        ml.Transforms.LoadImages(outputColumnName: "Image", imageFolder: imageFolder, inputColumnName: nameof(ModelInput.ImagePath))
            .Append(ml.Transforms.ResizeImages(outputColumnName: "Image", imageWidth: ImageSide, imageHeight: ImageSide, inputColumnName: "Image"))
            // The PNGs are grey, so the red plane is the grey level and one channel suffices.
            .Append(ml.Transforms.ExtractPixels(outputColumnName: "Features", inputColumnName: "Image",
                colorsToExtract: ImagePixelExtractingEstimator.ColorBits.Red))
            .Append(ml.Transforms.Conversion.MapValueToKey(outputColumnName: "Label", inputColumnName: nameof(ModelInput.Label)))
            .Append(ml.Transforms.StnClassify(new StnClassifyOptions
            {
                LabelColumnName = "Label",
                FeatureColumnName = "Features",
                ImageHeight = ImageSide,
                ImageWidth = ImageSide,
                Channels = 1,
                Epochs = epochs,
                BatchSize = 32,
            }))
            .Append(ml.Transforms.Conversion.MapKeyToValue(outputColumnName: "PredictedLabel", inputColumnName: "PredictedLabel"));

    /// <summary>Trains on <paramref name="trainingData"/> and saves the model with the input schema to <paramref name="modelPath"/>.</summary>
    public static ITransformer Train(MLContext ml, IDataView trainingData, string imageFolder, int epochs, string modelPath)
    {
        var model = BuildPipeline(ml, imageFolder, epochs).Fit(trainingData);
        ml.Model.Save(model, trainingData.Schema, modelPath);
        return model;
    }

    /// <summary>Accuracy of <paramref name="model"/> on labelled data it did not train on.</summary>
    public static MulticlassClassificationMetrics Evaluate(MLContext ml, ITransformer model, IDataView testData) =>
        ml.MulticlassClassification.Evaluate(model.Transform(testData), labelColumnName: "Label", scoreColumnName: "Score");
}
