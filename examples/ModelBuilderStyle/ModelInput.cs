using Microsoft.ML.Data;

namespace ModelBuilderStyle;

/// <summary>One row of the training data and the input of <see cref="MLModel.Predict"/>.</summary>
public sealed class ModelInput
{
    /// <summary>Path of a PNG, relative to the image folder the model was trained on, or absolute.</summary>
    [LoadColumn(0)]
    [ColumnName("ImagePath")]
    public string ImagePath { get; set; } = "";

    /// <summary>Class name; empty when predicting.</summary>
    [LoadColumn(1)]
    [ColumnName("Label")]
    public string Label { get; set; } = "";
}
