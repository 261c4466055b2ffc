using Microsoft.ML.Data;

namespace Microsoft.ML.Stn.MLNet;

/// <summary>
/// The columns StnClassify adds, in order (PredictedLabel, Score, warp, and the rectified image when named), their
/// types and annotations, and the output schema they make with an input schema.
/// </summary>
internal sealed class StnOutputColumns
{
    public const int PredictedLabel = 0;
    public const int Score = 1;
    public const int Warp = 2;
    public const int Rectified = 3;

    public StnOutputColumns(StnColumnNames names, LabelKeys labels, int warpLength, int rectifiedLength)
    {
        Names = names;
        Labels = labels;
        var columns = new List<(string, DataViewType, DataViewSchema.Annotations?)>
        {
            (names.PredictedLabel, labels.KeyType, labels.KeyValuesAnnotations()),
            (names.Score, new VectorDataViewType(NumberDataViewType.Single, labels.Count), labels.ScoreAnnotations()),
            (names.Warp, new VectorDataViewType(NumberDataViewType.Single, warpLength), null),
        };
        if (names.RectifiedImage is not null)
            columns.Add((names.RectifiedImage, new VectorDataViewType(NumberDataViewType.Single, rectifiedLength), null));
        Columns = columns;
    }

    public StnColumnNames Names { get; }

    public LabelKeys Labels { get; }

    public IReadOnlyList<(string Name, DataViewType Type, DataViewSchema.Annotations? Annotations)> Columns { get; }

    /// <summary>The input columns, then the added ones (which hide input columns of the same name).</summary>
    public DataViewSchema OutputSchema(DataViewSchema input)
    {
        var builder = new DataViewSchema.Builder();
        builder.AddColumns(input);
        foreach (var (name, type, annotations) in Columns)
            builder.AddColumn(name, type, annotations);
        return builder.ToSchema();
    }

    /// <summary>Which added columns (by the constants above) are among <paramref name="columns"/> of an output schema.</summary>
    public bool[] Active(DataViewSchema input, IEnumerable<DataViewSchema.Column> columns)
    {
        var active = new bool[Columns.Count];
        foreach (var column in columns)
            if (column.Index >= input.Count) active[column.Index - input.Count] = true;
        return active;
    }
}

/// <summary>Names of the feature column and of the columns StnClassify adds.</summary>
internal sealed record StnColumnNames(string Features, string PredictedLabel, string Score, string Warp, string? RectifiedImage);
