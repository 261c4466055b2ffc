using Microsoft.ML.Model.OnnxConverter;

namespace Microsoft.ML.Stn.Onnx;

/// <summary>
/// A thin layer over ML.NET's <see cref="OnnxContext"/> for the StnClassify graph: every node is a standard
/// operator (domain "", since a null domain would put it in ai.onnx.ml), and every temporary and weight gets a
/// unique name under the "Stn." prefix so it cannot hide a column of the pipeline.
/// </summary>
internal sealed class OnnxGraph
{
    private const string Prefix = "Stn.";
    private readonly OnnxContext _ctx;
    private readonly Dictionary<string, string> _shared = new(StringComparer.Ordinal);

    public OnnxGraph(OnnxContext ctx) => _ctx = ctx;

    /// <summary>A node with one output, a fresh temporary named after <paramref name="name"/>.</summary>
    public string Op(string op, string name, params string[] inputs) => Op(op, name, null, inputs);

    /// <summary>A node with one output and attributes.</summary>
    public string Op(string op, string name, Action<OnnxNode>? attributes, params string[] inputs)
    {
        string output = _ctx.AddIntermediateVariable(null, Prefix + name, skip: true);
        Into(op, output, attributes, inputs);
        return output;
    }

    /// <summary>A node that writes an existing variable (a column's output variable).</summary>
    public void Into(string op, string output, Action<OnnxNode>? attributes, params string[] inputs)
    {
        var node = _ctx.CreateNode(op, inputs, new[] { output }, _ctx.GetNodeName(Prefix + op), "");
        attributes?.Invoke(node);
    }

    public string Floats(string name, float[] values, params long[] dims) => _ctx.AddInitializer(values, dims, Prefix + name);

    /// <summary>
    /// The initializer named <paramref name="name"/>, added by <paramref name="add"/> on first use only: a network that
    /// runs more than once in the graph (the localisation net, once per refinement step) reads one copy of its weights.
    /// </summary>
    public string Shared(string name, Func<string> add)
    {
        if (!_shared.TryGetValue(name, out var variable))
            _shared[name] = variable = add();
        return variable;
    }

    public string Float(string name, float value) => _ctx.AddInitializer(value, Prefix + name);

    public string Longs(string name, params long[] values) => _ctx.AddInitializer(values, new long[] { values.Length }, Prefix + name);

    public string Long(string name, long value) => _ctx.AddInitializer(value, Prefix + name);

    // Element-wise helpers; ONNX broadcasts like numpy.
    public string Add(string name, string a, string b) => Op("Add", name, a, b);

    public string Sub(string name, string a, string b) => Op("Sub", name, a, b);

    public string Mul(string name, string a, string b) => Op("Mul", name, a, b);

    public string Div(string name, string a, string b) => Op("Div", name, a, b);

    public string Reshape(string name, string x, params long[] shape) => Op("Reshape", name, x, Longs(name + ".shape", shape));

    public string Cast(string name, string x, OnnxDataType to) => Op("Cast", name, n => n.AddAttribute("to", (long)to), x);

    /// <summary>Entry <paramref name="index"/> along <paramref name="axis"/>, which the result no longer has.</summary>
    public string Take(string name, string x, long index, long axis) =>
        Op("Gather", name, n => n.AddAttribute("axis", axis), x, Long(name + ".index", index));

    public string Unsqueeze(string name, string x, long axis) =>
        Op("Unsqueeze", name, n => n.AddAttribute("axes", new[] { axis }), x);
}

/// <summary>The TensorProto element types the graph casts to.</summary>
internal enum OnnxDataType
{
    Float = 1,
    UInt32 = 12,
    Int64 = 7,
}
