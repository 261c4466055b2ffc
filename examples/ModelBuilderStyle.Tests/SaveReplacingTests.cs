using Microsoft.ML;
using Microsoft.ML.Data;

namespace ModelBuilderStyle.Tests;

/// <summary>The example's save through a temporary file: it replaces a model only with a complete one.</summary>
[TestClass]
public sealed class SaveReplacingTests
{
    private sealed class Row
    {
        public float Value { get; set; }
    }

    private sealed class Doubled
    {
        public float Twice { get; set; }
    }

    private string folder = "";

    [TestInitialize]
    public void CreateFolder() => folder = Directory.CreateTempSubdirectory("save-replacing-").FullName;

    [TestCleanup]
    public void DeleteFolder() => Directory.Delete(folder, recursive: true);

    [TestMethod]
    public void ASuccessfulSaveReplacesTheOldFileWithALoadableModel()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(new[] { new Row { Value = 1 }, new Row { Value = 2 } });
        var model = ml.Transforms.CopyColumns("Copy", nameof(Row.Value)).Fit(data);
        string path = Path.Combine(folder, "model.zip");
        File.WriteAllText(path, "the previous model");

        MLModel.SaveReplacing(ml, model, data.Schema, path);

        var loaded = ml.Model.Load(path, out var inputSchema);
        Assert.AreEqual(nameof(Row.Value), inputSchema[0].Name);
        var copies = loaded.Transform(data).GetColumn<float>("Copy").ToArray();
        CollectionAssert.AreEqual(new[] { 1f, 2f }, copies);
        CollectionAssert.AreEqual(new[] { path }, Directory.GetFiles(folder), "only the model is left in the folder");
    }

    [TestMethod]
    public void AFailedSaveLeavesThePreviousModelAndNoTemporaryFile()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(new[] { new Row { Value = 1 } });
        // A custom mapping without a contract name cannot be saved: ML.NET throws once it has begun writing.
        var unsaveable = ml.Transforms.CustomMapping<Row, Doubled>((row, output) => output.Twice = 2 * row.Value, contractName: null).Fit(data);
        string path = Path.Combine(folder, "model.zip");
        File.WriteAllText(path, "the previous model");

        Assert.ThrowsExactly<InvalidOperationException>(() => MLModel.SaveReplacing(ml, unsaveable, data.Schema, path));

        Assert.AreEqual("the previous model", File.ReadAllText(path));
        CollectionAssert.AreEqual(new[] { path }, Directory.GetFiles(folder), "the temporary file is removed");
    }
}
