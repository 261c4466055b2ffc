namespace Microsoft.ML.Stn.MLNet;

/// <summary>Names of the image column StnClassify reads and of the columns it adds; null leaves an optional one out.</summary>
internal sealed record StnColumnNames(
    string Features, string PredictedLabel, string Score, string Theta, string? BoundingBox, string? RectifiedImage);
