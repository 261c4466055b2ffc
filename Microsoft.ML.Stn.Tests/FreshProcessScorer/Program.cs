using Microsoft.ML;
using Microsoft.ML.Data;

// Child process of the persistence tests: proves a saved model scores identically in a process that has never
// trained, registered or even mentioned the STN component.
// Usage: FreshProcessScorer <model.zip> <input.bin> <output.bin>
// input.bin: int32 rows, int32 feature length, then per row a string label and the feature floats.
// output.bin: two blocks (Transform, then PredictionEngine), each int32 rows, then per row
// int32 n + n Score floats, int32 m + m Warp floats, uint32 PredictedLabel.
if (args.Length != 3)
{
    Console.Error.WriteLine("usage: FreshProcessScorer <model.zip> <input.bin> <output.bin>");
    return 2;
}

var rows = new List<InputRow>();
int length;
using (var reader = new BinaryReader(File.OpenRead(args[1])))
{
    int count = reader.ReadInt32();
    length = reader.ReadInt32();
    for (int i = 0; i < count; i++)
    {
        var row = new InputRow { Label = reader.ReadString(), Features = new float[length] };
        for (int j = 0; j < length; j++) row.Features[j] = reader.ReadSingle();
        rows.Add(row);
    }
}

var ml = new MLContext();
var model = ml.Model.Load(args[0], out _);

var inputSchema = SchemaDefinition.Create(typeof(InputRow));
inputSchema[nameof(InputRow.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, length);
var scored = model.Transform(ml.Data.LoadFromEnumerable(rows, inputSchema));
var batch = ml.Data.CreateEnumerable<OutputRow>(scored, reuseRowObject: false).ToList();

var engine = ml.Model.CreatePredictionEngine<InputRow, OutputRow>(model, inputSchemaDefinition: inputSchema);
var single = rows.Select(engine.Predict).ToList();

using (var writer = new BinaryWriter(File.Create(args[2])))
{
    Write(writer, batch);
    Write(writer, single);
}
return 0;

static void Write(BinaryWriter writer, List<OutputRow> rows)
{
    writer.Write(rows.Count);
    foreach (var row in rows)
    {
        writer.Write(row.Score.Length);
        foreach (float v in row.Score) writer.Write(v);
        writer.Write(row.Theta.Length);
        foreach (float v in row.Theta) writer.Write(v);
        writer.Write(row.PredictedLabel);
    }
}

internal sealed class InputRow
{
    public string Label { get; set; } = "";
    public float[] Features { get; set; } = Array.Empty<float>();
}

internal sealed class OutputRow
{
    public float[] Score { get; set; } = Array.Empty<float>();
    public float[] Theta { get; set; } = Array.Empty<float>();
    public uint PredictedLabel { get; set; }
}
