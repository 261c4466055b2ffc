using Microsoft.ML.Data;
using Microsoft.ML.Model.OnnxConverter;
using Microsoft.ML.Stn.MLNet;
using Microsoft.ML.Stn.Network;

namespace Microsoft.ML.Stn.Onnx;

/// <summary>
/// StnClassify's part of an ONNX graph written by <c>mlContext.Model.ConvertToOnnx</c>: the input scale, the
/// localisation net, θ for the transform kind, the grid and the sampler, the classifier, softmax and the predicted
/// key, written into the variables of the added columns. Only standard operators up to opset 12 are used (the most
/// ML.NET's converter allows). What cannot be exported exactly is refused with an exception naming it.
/// </summary>
internal static class StnOnnxExport
{
    /// <summary>The opset the graph needs: Clip of int64, GreaterOrEqual and LessOrEqual arrived in opset 12.</summary>
    public const int MinimumOpSet = 12;

    public static void Save(OnnxContext ctx, ImageInput image, StnOutputColumns outputs, StnClassifierNetwork network)
    {
        ctx.CheckOpSetVersion(MinimumOpSet, "StnClassify");
        var column = image.Column;
        if (image.IsImage)
        {
            throw new NotSupportedException(
                $"StnClassify cannot export feature column '{column.Name}' of type Image to ONNX: extract its pixels first " +
                "(ExtractPixels, planar, as a vector<float>) and train on that column.");
        }
        if (!ctx.ContainsColumn(column.Name))
        {
            throw new NotSupportedException(
                $"StnClassify cannot export: its feature column '{column.Name}' is produced by a step of the pipeline that was not exported to ONNX.");
        }

        var a = network.Architecture;
        var (transformer, classifier, inputScale) = network.Parts;
        var g = new OnnxGraph(ctx);
        var features = ctx.GetVariableName(column.Name);
        var pixels = g.Reshape("input", features, -1, a.Channels, a.Height, a.Width);
        var scale = g.Float("input_scale", inputScale);
        var scaled = g.Mul("scaled_input", pixels, scale);

        string theta, rectified;
        if (transformer is not null)
        {
            theta = Theta(g, a.Transform, Localisation(g, transformer.Localisation, scaled));
            rectified = OnnxSampler.Warp(g, a, scaled, theta);
        }
        else
        {
            theta = IdentityTheta(g, a, scaled);
            rectified = a.OutputHeight == a.Height && a.OutputWidth == a.Width ? scaled : OnnxSampler.Warp(g, a, scaled, theta);
        }

        var (classifierFeatures, classifierHead) = classifier.Layers;
        var logits = OnnxLayers.Sequential(g, "classifier.head", classifierHead,
            OnnxLayers.Sequential(g, "classifier.features", classifierFeatures, rectified));

        // Output variables are added only now, so that a column that replaces the feature column is read first.
        var columns = outputs.Columns;
        var score = Output(ctx, columns[StnOutputColumns.Score]);
        g.Into("Softmax", score, n => n.AddAttribute("axis", 1L), logits);
        PredictedKey(g, score, Output(ctx, columns[StnOutputColumns.PredictedLabel]));
        g.Into("Reshape", Output(ctx, columns[StnOutputColumns.Warp]), null, theta, g.Longs("theta.shape", -1, a.WarpLength));
        if (columns.Count > StnOutputColumns.Rectified)
        {
            var unscaled = g.Div("rectified", rectified, scale);
            g.Into("Reshape", Output(ctx, columns[StnOutputColumns.Rectified]), null, unscaled, g.Longs("rectified.shape", -1, a.RectifiedPixelCount));
        }
    }

    private static string Output(OnnxContext ctx, (string Name, DataViewType Type, DataViewSchema.Annotations? Annotations) column) =>
        ctx.AddIntermediateVariable(column.Type, column.Name);

    private static string Localisation(OnnxGraph g, LocalisationNet net, string input)
    {
        var (features, hidden, head) = net.Layers;
        var x = g.Op("Flatten", "localisation.flatten", n => n.AddAttribute("axis", 1L), OnnxLayers.Sequential(g, "localisation.features", features, input));
        x = g.Op("Relu", "localisation.hidden.relu", OnnxLayers.Gemm(g, "localisation.hidden", hidden, x));
        return OnnxLayers.Gemm(g, "localisation.head", head, x);
    }

    /// <summary>θ [N, r, 3] from the parameters [N, P], as <see cref="TransformParameterisation.ToMatrix"/> builds it.</summary>
    private static string Theta(OnnxGraph g, TransformKind kind, string parameters)
    {
        string Column(int i) => g.Op("Slice", $"theta.p{i}", parameters, g.Longs($"theta.p{i}.start", i), g.Longs($"theta.p{i}.end", i + 1), g.Longs($"theta.p{i}.axis", 1));
        string Zeros(string name, string like) => g.Op("ConstantOfShape", name, g.Op("Shape", name + ".shape", like));
        string Constant(string name, string like, float value) =>
            value == 0f ? Zeros(name, like) : g.Add(name, Zeros(name + ".zeros", like), g.Float(name + ".value", value));
        string Matrix(params string[] entries) => g.Reshape("theta", g.Op("Concat", "theta.flat", n => n.AddAttribute("axis", 1L), entries), -1, 2, 3);

        switch (kind)
        {
            case TransformKind.Affine:
                return g.Reshape("theta", parameters, -1, 2, 3);
            case TransformKind.Similarity:
                {
                    var angle = Column(0);
                    var scale = Column(1);
                    var cos = g.Mul("theta.cos", scale, g.Op("Cos", "theta.cos_angle", angle));
                    var sin = g.Mul("theta.sin", scale, g.Op("Sin", "theta.sin_angle", angle));
                    return Matrix(cos, g.Op("Neg", "theta.minus_sin", sin), Column(2), sin, cos, Column(3));
                }
            case TransformKind.Attention:
                {
                    var scale = Column(0);
                    var zero = Constant("theta.zero", scale, 0f);
                    return Matrix(scale, zero, Column(1), zero, scale, Column(2));
                }
            case TransformKind.Translation:
                {
                    var tx = Column(0);
                    var one = Constant("theta.one", tx, 1f);
                    var zero = Constant("theta.zero", tx, 0f);
                    return Matrix(one, zero, tx, zero, one, Column(1));
                }
            case TransformKind.Projective:
                {
                    var one = Constant("theta.one", Column(0), 1f);
                    return g.Reshape("theta", g.Op("Concat", "theta.flat", n => n.AddAttribute("axis", 1L), parameters, one), -1, 3, 3);
                }
            default:
                throw new NotSupportedException($"StnClassify cannot export Transform = {kind} to ONNX.");
        }
    }

    /// <summary>The baseline's identity θ, one per row of <paramref name="image"/>.</summary>
    private static string IdentityTheta(OnnxGraph g, StnArchitecture a, string image)
    {
        int rows = a.WarpLength / 3;
        var identity = new float[a.WarpLength];
        for (int i = 0; i < identity.Length; i += 4) identity[i] = 1;
        var batch = g.Op("Slice", "identity.batch", g.Op("Shape", "identity.image_shape", image), g.Longs("identity.start", 0), g.Longs("identity.end", 1));
        var shape = g.Op("Concat", "identity.shape", n => n.AddAttribute("axis", 0L), batch, g.Longs("identity.matrix", rows, 3));
        return g.Op("Expand", "theta", g.Floats("identity", identity, 1, rows, 3), shape);
    }

    /// <summary>The 1-based key of the most probable class (the first on ties), or 0 when any probability is not finite.</summary>
    private static void PredictedKey(OnnxGraph g, string probabilities, string output)
    {
        var best = g.Op("ArgMax", "predicted.index", n => { n.AddAttribute("axis", 1L); n.AddAttribute("keepdims", 1L); }, probabilities);
        var key = g.Add("predicted.key", best, g.Long("predicted.one", 1));
        var notFinite = g.Op("Or", "predicted.not_finite", g.Op("IsNaN", "predicted.nan", probabilities), g.Op("IsInf", "predicted.inf", probabilities));
        var anyNotFinite = g.Op("ReduceMax", "predicted.any_not_finite", n => { n.AddAttribute("axes", new[] { 1L }); n.AddAttribute("keepdims", 1L); },
            g.Cast("predicted.not_finite_value", notFinite, OnnxDataType.Float));
        var missing = g.Op("Greater", "predicted.missing", anyNotFinite, g.Float("predicted.zero", 0f));
        var keyOrMissing = g.Op("Where", "predicted.key_or_missing", missing, g.Long("predicted.missing_key", 0), key);
        g.Into("Cast", output, n => n.AddAttribute("to", (long)OnnxDataType.UInt32), keyOrMissing);
    }
}
