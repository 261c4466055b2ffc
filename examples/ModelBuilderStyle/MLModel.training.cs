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
        SaveReplacing(ml, model, trainingData.Schema, modelPath);
        return model;
    }

    /// <summary>
    /// ML.NET's <c>Model.Save(path)</c> writes the file in place, so a save that fails half-way (a full disk) would leave
    /// a broken file where the previous good model was. Saving next to it and then moving it over the old one replaces
    /// the model only once the new one is complete (a move within one folder is atomic on the same file system).
    /// </summary>
    public static void SaveReplacing(MLContext ml, ITransformer model, DataViewSchema inputSchema, string modelPath)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(modelPath))!;
        var temporary = Path.Combine(folder, $".{Path.GetFileName(modelPath)}.{Guid.NewGuid():N}.tmp");
        try
        {
            ml.Model.Save(model, inputSchema, temporary);
            File.Move(temporary, modelPath, overwrite: true);
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    /// <summary>Accuracy of <paramref name="model"/> on labelled data it did not train on.</summary>
    public static MulticlassClassificationMetrics Evaluate(MLContext ml, ITransformer model, IDataView testData) =>
        ml.MulticlassClassification.Evaluate(model.Transform(testData), labelColumnName: "Label", scoreColumnName: "Score");
}
