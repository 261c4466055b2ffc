namespace Microsoft.ML.Stn.MLNet;

/// <summary>The exceptions this library's rows and cursors throw for a getter they cannot give, as ML.NET's do.</summary>
internal static class RowErrors
{
    public static InvalidOperationException WrongType(DataViewSchema.Column column, Type requested) =>
        new($"Column '{column.Name}' has type {column.Type}; a getter of {requested} was requested.");

    public static InvalidOperationException NotRequested(DataViewSchema.Column column) =>
        new($"Column '{column.Name}' was not requested when the cursor or row was made.");
}
