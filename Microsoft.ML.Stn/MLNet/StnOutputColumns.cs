using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using Microsoft.ML.Stn.Network;

namespace Microsoft.ML.Stn.MLNet;

/// <summary>What an added column holds.</summary>
internal enum StnOutput
{
    PredictedLabel,
    Score,
    Theta,
    BoundingBox,
    RectifiedImage,
}

/// <summary>
/// The one list of the columns StnClassify adds, in order: PredictedLabel, Score, θ, and the bounding box and the
/// rectified image when named; with their types and annotations. The transformer's schema, the row mapper's columns and
/// the estimator's <see cref="SchemaShape"/> are all made from it.
/// </summary>
internal sealed class StnOutputColumns
{
    public StnOutputColumns(StnColumnNames names, LabelKeys labels, StnArchitecture architecture)
    {
        Names = names;
        Labels = labels;
        var columns = new List<(StnOutput, DataViewSchema.DetachedColumn)>
        {
            (StnOutput.PredictedLabel, new(names.PredictedLabel, labels.KeyType, labels.KeyValuesAnnotations())),
            (StnOutput.Score, new(names.Score, Vector(labels.Count), labels.ScoreAnnotations())),
            (StnOutput.Theta, new(names.Theta, Vector(architecture.ThetaLength))),
        };
        if (names.BoundingBox is { } box)
            columns.Add((StnOutput.BoundingBox, new(box, Vector(architecture.BoundingBoxesLength))));
        if (names.RectifiedImage is { } rectifiedImage)
            columns.Add((StnOutput.RectifiedImage, new(rectifiedImage, Vector(architecture.RectifiedImageLength))));
        Kinds = columns.Select(c => c.Item1).ToArray();
        Columns = columns.Select(c => c.Item2).ToArray();
    }

    public StnColumnNames Names { get; }

    public LabelKeys Labels { get; }

    /// <summary>What each added column holds, by position.</summary>
    public IReadOnlyList<StnOutput> Kinds { get; }

    public DataViewSchema.DetachedColumn[] Columns { get; }

    /// <summary>The input columns, then the added ones (which hide input columns of the same name).</summary>
    public DataViewSchema OutputSchema(DataViewSchema input)
    {
        var builder = new DataViewSchema.Builder();
        builder.AddColumns(input);
        builder.AddColumns(Columns);
        return builder.ToSchema();
    }

    /// <summary>The input shape with the added columns' shapes, derived from the same columns.</summary>
    public SchemaShape OutputShape(SchemaShape input)
    {
        var builder = new DataViewSchema.Builder();
        builder.AddColumns(Columns);
        var columns = input.ToDictionary(c => c.Name);
        foreach (var added in SchemaShape.Create(builder.ToSchema()))
            columns[added.Name] = added;
        return new SchemaShape(columns.Values);
    }

    /// <summary>Whether any added column that holds <paramref name="kind"/> is active.</summary>
    public bool IsActive(StnOutput kind, Func<int, bool> activeOutput)
    {
        for (int i = 0; i < Kinds.Count; i++)
            if (Kinds[i] == kind && activeOutput(i)) return true;
        return false;
    }

    /// <summary>
    /// Refuses a bounding-box column that would hide an input column of the same name: the box is on by default, and
    /// detection data often carries its true box under that very name.
    /// </summary>
    public static void CheckBoundingBoxName(IExceptionContext ectx, string? boundingBoxName, IEnumerable<string> inputColumns)
    {
        if (boundingBoxName is not null && inputColumns.Contains(boundingBoxName))
        {
            throw ectx.ExceptParam(nameof(StnClassifyOptions.BoundingBoxColumnName),
                $"BoundingBoxColumnName '{boundingBoxName}' is also an input column, which the box would hide; choose another name, or null for no box column.");
        }
    }

    private static VectorDataViewType Vector(int length) => new(NumberDataViewType.Single, length);
}
