using Microsoft.ML.Data;

namespace ModelBuilderStyle;

/// <summary>The prediction for one <see cref="ModelInput"/>.</summary>
public sealed class ModelOutput
{
    /// <summary>The most probable class name.</summary>
    [ColumnName("PredictedLabel")]
    public string PredictedLabel { get; set; } = "";

    /// <summary>Probability of every class, in the order of the label's key values.</summary>
    [ColumnName("Score")]
    public float[] Score { get; set; } = [];

    /// <summary>The 2×3 affine θ (row-major) the spatial transformer applied, in normalised coordinates.</summary>
    [ColumnName("Theta")]
    public float[] Theta { get; set; } = [];
}
