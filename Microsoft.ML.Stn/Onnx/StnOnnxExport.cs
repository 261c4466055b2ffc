using Microsoft.ML.Data;
using Microsoft.ML.Model.OnnxConverter;
using Microsoft.ML.Stn.MLNet;
using Microsoft.ML.Stn.Network;
using static TorchSharp.torch;

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
        if (column.Type is Microsoft.ML.Transforms.Image.ImageDataViewType)
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

        // One θ (flattened), rectified image and box per transformer, joined transformer after transformer as the
        // network joins them.
        var thetas = new string[a.TransformerCount];
        var rectifiedImages = new string[a.TransformerCount];
        var boxes = new string[a.TransformerCount];
        if (transformer is not null)
        {
            var start = a.MomentView == MomentView.None ? null : MomentTheta(g, a, scaled);
            var firstLook = Localisation(g, transformer.Localisation,
                start is null ? scaled : OnnxSampler.Warp(g, a, scaled, start, a.ViewSize.Height, a.ViewSize.Width));
            for (int t = 0; t < a.TransformerCount; t++)
            {
                var theta = Theta(g, a, Block(g, a, firstLook, t));
                if (start is not null)
                    theta = Compose(g, a, start, Correction(g, a, theta));
                for (int step = 1; step < a.RefinementSteps; step++)
                {
                    var seen = OnnxSampler.Warp(g, a, scaled, theta, a.ViewSize.Height, a.ViewSize.Width);
                    theta = Compose(g, a, theta, Correction(g, a, Theta(g, a, Block(g, a, Localisation(g, transformer.Localisation, seen), t))));
                }
                (rectifiedImages[t], boxes[t]) = transformer.ThinPlateSpline is { } spline
                    ? (ThinPlateSplineWarp(g, a, spline, scaled, theta), ThinPlateSplineBox(g, a, spline, theta))
                    : (OnnxSampler.Warp(g, a, scaled, theta), MatrixBox(g, a, theta));
                thetas[t] = g.Reshape("theta.flat", theta, -1, a.ThetaLengthPerTransformer);
            }
        }
        else
        {
            // The baseline reads the input through the identity matrix (a thin-plate spline's too), T times.
            var identity = IdentityMatrix(g, a, scaled);
            var single = a.OutputHeight == a.Height && a.OutputWidth == a.Width ? scaled : OnnxSampler.Warp(g, a, scaled, identity);
            var box = MatrixBox(g, a, identity);
            Array.Fill(rectifiedImages, single);
            Array.Fill(boxes, box);
            thetas = [IdentityTheta(g, network.IdentityTheta, scaled)];
        }
        string Joined(string name, string[] parts) =>
            parts.Length == 1 ? parts[0] : g.Op("Concat", name, n => n.AddAttribute("axis", 1L), parts);
        var rectified = Joined("rectified_images", rectifiedImages);

        var (classifierFeatures, classifierHead) = classifier.Layers;
        var logits = OnnxLayers.Sequential(g, "classifier.head", classifierHead,
            OnnxLayers.Sequential(g, "classifier.features", classifierFeatures, rectified));

        var probabilities = g.Op("Softmax", "probabilities", n => n.AddAttribute("axis", 1L), logits);
        // Output variables are added only now, so that a column that replaces the feature column is read first.
        for (int i = 0; i < outputs.Columns.Length; i++)
        {
            var added = outputs.Columns[i];
            var output = ctx.AddIntermediateVariable(added.Type, added.Name);
            switch (outputs.Kinds[i])
            {
                case StnOutput.Score:
                    g.Into("Identity", output, null, probabilities);
                    break;
                case StnOutput.PredictedLabel:
                    PredictedKey(g, probabilities, output);
                    break;
                case StnOutput.Theta:
                    g.Into("Identity", output, null, Joined("thetas", thetas));
                    break;
                case StnOutput.BoundingBox:
                    g.Into("Identity", output, null, Joined("boxes", boxes));
                    break;
                case StnOutput.RectifiedImage:
                    var unscaled = g.Div("rectified", rectified, scale);
                    g.Into("Reshape", output, null, unscaled, g.Longs("rectified.shape", -1, a.RectifiedImageLength));
                    break;
            }
        }
    }

    /// <summary>
    /// The box of <see cref="Network.BoundingBox"/> for a matrix θ [N, r, 3]: the rectified image's outer corners
    /// through θ (divided by w for a 3×3 θ), then their enclosing box in input pixel edges, [N, 4].
    /// </summary>
    private static string MatrixBox(OnnxGraph g, StnArchitecture a, string theta)
    {
        static float Edge(int size, bool alignCorners) => alignCorners && size > 1 ? 1f + 1f / (size - 1) : 1f;
        float x = Edge(a.OutputWidth, a.AlignCorners), y = Edge(a.OutputHeight, a.AlignCorners);
        var corners = g.Shared("box.corners", () => g.Floats("box.corners", [-x, x, -x, x, -y, -y, y, y, 1, 1, 1, 1], 3, 4));
        var mapped = g.Op("MatMul", "box.mapped", theta, corners);
        string Row(string name, long row) => g.Reshape(name + ".corners",
            g.Op("Slice", name, mapped, g.Longs(name + ".start", row), g.Longs(name + ".end", row + 1), g.Longs(name + ".axis", 1)), -1, 4);
        string xs = Row("box.x", 0), ys = Row("box.y", 1);
        if (a.Transform == TransformKind.Projective)
        {
            var w = Row("box.w", 2);
            xs = g.Div("box.x_divided", xs, w);
            ys = g.Div("box.y_divided", ys, w);
        }
        return EnclosingBox(g, a, xs, ys);
    }

    /// <summary>
    /// The box of <see cref="ThinPlateSplineGrid.EnclosingBox"/> for targets θ [N, K², 2]: the points sampled along
    /// the output's edge through the spline, then their enclosing box in input pixel edges, [N, 4].
    /// </summary>
    private static string ThinPlateSplineBox(OnnxGraph g, StnArchitecture a, ThinPlateSplineGrid spline, string theta)
    {
        var mapped = ThinPlateSplineMap(g, "box.border", spline, spline.BorderMap(), theta);
        return EnclosingBox(g, a, g.Take("box.x", mapped, 0, 2), g.Take("box.y", mapped, 1, 2));
    }

    /// <summary>Left, top, right, bottom [N, 4] in input pixel edges of normalised points <paramref name="xs"/>, <paramref name="ys"/> [N, P].</summary>
    private static string EnclosingBox(OnnxGraph g, StnArchitecture a, string xs, string ys)
    {
        string ToPixels(string name, string normalised, int size)
        {
            float half = a.AlignCorners ? (size - 1) / 2f : size / 2f;
            return g.Add(name, g.Mul(name + ".scaled", normalised, g.Float(name + ".half", half)),
                g.Float(name + ".offset", a.AlignCorners ? half + 0.5f : half));
        }
        var px = ToPixels("box.px", xs, a.Width);
        var py = ToPixels("box.py", ys, a.Height);
        string Reduce(string op, string name, string values) =>
            g.Op(op, name, n => { n.AddAttribute("axes", new long[] { 1 }); n.AddAttribute("keepdims", 1L); }, values);
        return g.Op("Concat", "box", n => n.AddAttribute("axis", 1L),
            Reduce("ReduceMin", "box.left", px), Reduce("ReduceMin", "box.top", py),
            Reduce("ReduceMax", "box.right", px), Reduce("ReduceMax", "box.bottom", py));
    }

    /// <summary>
    /// Points through the thin-plate spline of targets θ [N, K², 2] as <see cref="ThinPlateSplineGrid"/> maps them,
    /// points + weights·(θ − p): [N, P, 2]. The constants are written once, however many transformers read them.
    /// </summary>
    private static string ThinPlateSplineMap(OnnxGraph g, string name, ThinPlateSplineGrid spline, (float[] Points, float[] Weights) map,
        string theta)
    {
        int count = spline.ControlPointCount;
        var (pointValues, weightValues) = map;
        var controlPoints = g.Shared("tps.control_points",
            () => g.Floats("tps.control_points", ThinPlateSplineGrid.IdentityTheta(spline.ControlPointGridSize), count, 2));
        var points = g.Shared(name + ".points", () => g.Floats(name + ".points", pointValues, pointValues.Length / 2, 2));
        var weights = g.Shared(name + ".weights", () => g.Floats(name + ".weights", weightValues, weightValues.Length / count, count));
        var moved = g.Op("MatMul", name + ".moved", weights, g.Sub(name + ".displacement", theta, controlPoints));
        return g.Add(name, points, moved);
    }

    /// <summary>Warps images [N, C, H, W] through the thin-plate spline of targets θ [N, K², 2]; returns [N, C, H′, W′].</summary>
    private static string ThinPlateSplineWarp(OnnxGraph g, StnArchitecture a, ThinPlateSplineGrid spline, string image, string theta)
    {
        var grid = ThinPlateSplineMap(g, "tps.grid", spline, spline.GridMap(), theta);
        return OnnxSampler.Sample(g, a, image, g.Take("tps.x", grid, 0, 2), g.Take("tps.y", grid, 1, 2), a.OutputHeight, a.OutputWidth);
    }

    private static string Localisation(OnnxGraph g, LocalisationNet net, string input)
    {
        var (features, hidden, head) = net.Layers;
        var x = g.Op("Flatten", "localisation.flatten", n => n.AddAttribute("axis", 1L), OnnxLayers.Sequential(g, "localisation.features", features, input));
        x = g.Op("Relu", "localisation.hidden.relu", OnnxLayers.Gemm(g, "localisation.hidden", hidden, x));
        return OnnxLayers.Gemm(g, "localisation.head", head, x);
    }

    /// <summary>One transformer's block [N, P] of the localisation net's output [N, T·P].</summary>
    private static string Block(OnnxGraph g, StnArchitecture a, string parameters, int transformer)
    {
        if (a.TransformerCount == 1)
            return parameters;
        long count = TransformParameterisation.ParameterCount(a.Transform, a.ControlPointGridSize);
        return g.Op("Slice", $"parameters{transformer}", parameters, g.Longs($"parameters{transformer}.start", transformer * count),
            g.Longs($"parameters{transformer}.end", (transformer + 1) * count), g.Longs($"parameters{transformer}.axis", 1));
    }

    /// <summary>
    /// θ from the parameters [N, P], as <see cref="TransformParameterisation.ToTheta"/> builds it: [N, r, 3], or the
    /// targets [N, K², 2] of a thin-plate spline.
    /// </summary>
    private static string Theta(OnnxGraph g, StnArchitecture a, string parameters)
    {
        var kind = a.Transform;
        string Column(int i) => g.Op("Slice", $"theta.p{i}", parameters, g.Longs($"theta.p{i}.start", i), g.Longs($"theta.p{i}.end", i + 1), g.Longs($"theta.p{i}.axis", 1));
        string Matrix(params string[] entries) => g.Reshape("theta", g.Op("Concat", "theta.flat", n => n.AddAttribute("axis", 1L), entries), -1, 2, 3);

        switch (kind)
        {
            case TransformKind.Affine:
                return g.Reshape("theta", parameters, -1, 2, 3);
            case TransformKind.ThinPlateSpline:
                return g.Reshape("theta", parameters, -1, a.ControlPointGridSize * a.ControlPointGridSize, 2);
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
                    var zero = ConstantLike(g, "theta.zero", scale, 0f);
                    return Matrix(scale, zero, Column(1), zero, scale, Column(2));
                }
            case TransformKind.Translation:
                {
                    var tx = Column(0);
                    var one = ConstantLike(g, "theta.one", tx, 1f);
                    var zero = ConstantLike(g, "theta.zero", tx, 0f);
                    return Matrix(one, zero, tx, zero, one, Column(1));
                }
            case TransformKind.Projective:
                {
                    var one = ConstantLike(g, "theta.one", Column(0), 1f);
                    return g.Reshape("theta", g.Op("Concat", "theta.flat", n => n.AddAttribute("axis", 1L), parameters, one), -1, 3, 3);
                }
            default:
                throw new NotSupportedException($"StnClassify cannot export Transform = {kind} to ONNX.");
        }
    }

    /// <summary>A tensor of <paramref name="like"/>'s shape filled with <paramref name="value"/>, whatever <paramref name="like"/> holds.</summary>
    private static string ConstantLike(OnnxGraph g, string name, string like, float value)
    {
        string Zeros(string zerosName) => g.Op("ConstantOfShape", zerosName, g.Op("Shape", zerosName + ".shape", like));
        return value == 0f ? Zeros(name) : g.Add(name, Zeros(name + ".zeros"), g.Float(name + ".value", value));
    }

    /// <summary>
    /// θ ∘ Δ as <see cref="SpatialTransformer"/> composes a refinement step: a product of 3×3 matrices, where a 2×3 Δ
    /// gains the row (0, 0, 1), so that a 2×3 θ keeps its shape.
    /// </summary>
    private static string Compose(OnnxGraph g, StnArchitecture a, string theta, string correction)
    {
        if (a.Transform != TransformKind.Projective)
        {
            var lastRow = Rows(g, "compose.last_row", g.Floats("compose.unit_row", [0f, 0f, 1f], 1, 1, 3), correction, 1, 3);
            correction = g.Op("Concat", "compose.correction", n => n.AddAttribute("axis", 1L), correction, lastRow);
        }
        return g.Op("MatMul", "theta", theta, correction);
    }

    /// <summary>The <see cref="MomentNormalisation"/> starting view of each image, as <see cref="MomentNormalisation.StartTheta"/> builds it.</summary>
    private static string MomentTheta(OnnxGraph g, StnArchitecture a, string image)
    {
        string Reduce(string op, string name, string x, bool keepDims, params long[] axes) =>
            g.Op(op, name, n => { n.AddAttribute("axes", axes); n.AddAttribute("keepdims", keepDims ? 1L : 0L); }, x);
        string Sum(string name, string x, params long[] axes) => Reduce("ReduceSum", name, x, false, axes);
        string Coordinates(string name, int size, int length)
        {
            using var values = GridGenerator.Coordinates(size, a.AlignCorners, ScalarType.Float32, null);
            return g.Floats(name, values.data<float>().ToArray(), length);
        }
        string PerImage(string name, string values) => g.Reshape(name, values, -1, 1, 1);

        var mass = g.Op("Relu", "moments.mass", Sum("moments.channels", image, 1));
        if (a.MomentView == MomentView.ObjectBox)
            mass = g.Mul("moments.object_mass", mass, ObjectMask(g, a, mass));
        var total = Sum("moments.total", mass, 1, 2);
        var one = g.Float("moments.one", 1f);
        var zero = g.Float("moments.zero", 0f);
        var hasMass = g.Op("Greater", "moments.has_mass", total, zero);
        var xs = Coordinates("moments.xs", a.Width, a.Width);
        var ys = Coordinates("moments.ys", a.Height, a.Height);
        var xsRow = g.Reshape("moments.xs_row", xs, 1, 1, a.Width);
        var ysColumn = g.Reshape("moments.ys_column", ys, 1, a.Height, 1);

        string viewX, viewY, halfWidth, halfHeight;
        var half = g.Float("moments.half", 0.5f);
        string Ink() => g.Op("GreaterOrEqual", "moments.ink", mass,
            g.Mul("moments.ink_threshold", Reduce("ReduceMax", "moments.brightest", mass, true, 1, 2), g.Float("moments.ink_fraction", MomentNormalisation.InkFraction)));
        (string Low, string High) Extent(string name, string ink, string offsets) =>
            (Reduce("ReduceMin", name + ".low", g.Op("Where", name + ".ink_low", ink, offsets, g.Float(name + ".above", float.PositiveInfinity)), false, 1, 2),
             Reduce("ReduceMax", name + ".high", g.Op("Where", name + ".ink_high", ink, offsets, g.Float(name + ".below", float.NegativeInfinity)), false, 1, 2));
        if (a.MomentView == MomentView.ObjectBox)
        {
            // The object's box along the image axes: a half side for each axis.
            var ink = Ink();
            var shape = g.Op("Shape", "moments.mass_shape", mass);
            var (left, right) = Extent("moments.x_extent", ink, g.Op("Expand", "moments.xs_plane", xsRow, shape));
            var (top, bottom) = Extent("moments.y_extent", ink, g.Op("Expand", "moments.ys_plane", ysColumn, shape));
            var margin = g.Float("moments.view_margin", MomentNormalisation.ViewMargin / 2);
            halfWidth = g.Mul("moments.half_width", g.Sub("moments.width", right, left), margin);
            halfHeight = g.Mul("moments.half_height", g.Sub("moments.height", bottom, top), margin);
            var centre = ConstantLike(g, "moments.centre", total, 0f);
            viewX = g.Op("Where", "moments.view_x", hasMass, g.Mul("moments.box_x", g.Add("moments.x_sum", left, right), half), centre);
            viewY = g.Op("Where", "moments.view_y", hasMass, g.Mul("moments.box_y", g.Add("moments.y_sum", top, bottom), half), centre);
        }
        else
        {
            var divisor = g.Op("Where", "moments.divisor", hasMass, total, one);
            string Mean(string name, string weighted, params long[] axes) => g.Div(name, Sum(name + ".sum", weighted, axes), divisor);
            var centreX = Mean("moments.centre_x", g.Mul("moments.x_mass", Sum("moments.along_x", mass, 1), xs), 1);
            var centreY = Mean("moments.centre_y", g.Mul("moments.y_mass", Sum("moments.along_y", mass, 2), ys), 1);
            var dx = g.Sub("moments.dx", xsRow, PerImage("moments.centre_x_3d", centreX));
            var dy = g.Sub("moments.dy", ysColumn, PerImage("moments.centre_y_3d", centreY));
            var weightedX = g.Mul("moments.weighted_dx", mass, dx);
            var weightedY = g.Mul("moments.weighted_dy", mass, dy);
            var varianceX = Mean("moments.variance_x", g.Mul("moments.xx", weightedX, dx), 1, 2);
            var varianceY = Mean("moments.variance_y", g.Mul("moments.yy", weightedY, dy), 1, 2);
            (viewX, viewY, halfWidth) = a.MomentView == MomentView.RadiusOfGyration
                ? (centreX, centreY, GyrationHalfSide(varianceX, varianceY))
                : ExtentView(centreX, centreY, varianceX, varianceY, dx, dy, Mean("moments.covariance", g.Mul("moments.xy", weightedX, dy), 1, 2));
            halfHeight = halfWidth;
        }

        string GyrationHalfSide(string varianceX, string varianceY)
        {
            var radius = g.Op("Sqrt", "moments.radius", g.Op("Relu", "moments.spread", g.Add("moments.variance", varianceX, varianceY)));
            return g.Mul("moments.half_side", radius, g.Float("moments.view_radii", MomentNormalisation.ViewRadii));
        }

        (string X, string Y, string HalfSide) ExtentView(string centreX, string centreY, string varianceX, string varianceY, string dx, string dy,
            string covariance)
        {
            // The principal axis by the half-angle identities, as MomentNormalisation computes it.
            var difference = g.Sub("moments.difference", varianceX, varianceY);
            var norm = g.Op("Sqrt", "moments.norm", g.Add("moments.norm_square", g.Mul("moments.difference_square", difference, difference),
                g.Mul("moments.covariance_square", g.Mul("moments.covariance_4", covariance, g.Float("moments.four", 4f)), covariance)));
            var isotropic = g.Op("LessOrEqual", "moments.isotropic", norm,
                g.Mul("moments.isotropy", g.Add("moments.variance", varianceX, varianceY), g.Float("moments.isotropy_tolerance", MomentNormalisation.IsotropyTolerance)));
            var cosDouble = g.Op("Where", "moments.cos_double", isotropic, one, g.Div("moments.cos_double_value", difference, g.Op("Where", "moments.norm_divisor", isotropic, one, norm)));
            var cos = g.Op("Sqrt", "moments.cos", g.Op("Relu", "moments.cos_square", g.Mul("moments.cos_half", g.Add("moments.one_plus", one, cosDouble), half)));
            var sinSign = g.Op("Where", "moments.sin_sign", g.Op("Less", "moments.negative_covariance", covariance, zero), g.Float("moments.minus_one", -1f), one);
            var sin = g.Mul("moments.sin", sinSign,
                g.Op("Sqrt", "moments.sin_size", g.Op("Relu", "moments.sin_square", g.Mul("moments.sin_half", g.Sub("moments.one_minus", one, cosDouble), half))));
            var cos3 = PerImage("moments.cos_3d", cos);
            var sin3 = PerImage("moments.sin_3d", sin);
            var along = g.Add("moments.along", g.Mul("moments.along_x", dx, cos3), g.Mul("moments.along_y", dy, sin3));
            var across = g.Sub("moments.across", g.Mul("moments.across_y", dy, cos3), g.Mul("moments.across_x", dx, sin3));
            var ink = Ink();
            var (alongLow, alongHigh) = Extent("moments.along_extent", ink, along);
            var (acrossLow, acrossHigh) = Extent("moments.across_extent", ink, across);
            var middleAlong = g.Mul("moments.middle_along", g.Add("moments.along_sum", alongLow, alongHigh), half);
            var middleAcross = g.Mul("moments.middle_across", g.Add("moments.across_sum", acrossLow, acrossHigh), half);
            return (
                g.Op("Where", "moments.view_x", hasMass, g.Add("moments.view_x_value", centreX,
                    g.Sub("moments.offset_x", g.Mul("moments.along_cos", middleAlong, cos), g.Mul("moments.across_sin", middleAcross, sin))), centreX),
                g.Op("Where", "moments.view_y", hasMass, g.Add("moments.view_y_value", centreY,
                    g.Add("moments.offset_y", g.Mul("moments.along_sin", middleAlong, sin), g.Mul("moments.across_cos", middleAcross, cos))), centreY),
                g.Mul("moments.half_side", g.Op("Max", "moments.longer_extent", g.Sub("moments.along_length", alongHigh, alongLow),
                    g.Sub("moments.across_length", acrossHigh, acrossLow)), g.Float("moments.view_margin", MomentNormalisation.ViewMargin / 2)));
        }

        var minimum = g.Float("moments.minimum", MomentNormalisation.MinimumScale(a.Height, a.Width, a.AlignCorners));
        var maximum = g.Float("moments.maximum", MomentNormalisation.MaximumScale);
        string Scale(string name, string fitted) => a.Transform == TransformKind.Translation
            ? ConstantLike(g, name, total, 1f)
            : g.Op("Where", name, hasMass, g.Op("Clip", name + ".fitted", fitted, minimum, maximum), one);

        // Every entry as a column [N, 1], so that one Concat lays out the rows of θ.
        string Column(string name, string values) => g.Unsqueeze(name, values, 1);
        var sx = Column("moments.sx", Scale("moments.scale_x", halfWidth));
        var sy = Column("moments.sy", Scale("moments.scale_y", halfHeight));
        var z = Column("moments.z", ConstantLike(g, "moments.zeros", total, 0f));
        var x = Column("moments.x", viewX);
        var y = Column("moments.y", viewY);
        var entries = a.Transform == TransformKind.Projective
            ? new[] { sx, z, x, z, sy, y, z, z, Column("moments.w", ConstantLike(g, "moments.ones", total, 1f)) }
            : new[] { sx, z, x, z, sy, y };
        return g.Reshape("moments.theta", g.Op("Concat", "moments.flat", n => n.AddAttribute("axis", 1L), entries), -1, a.ThetaLengthPerTransformer / 3, 3);
    }

    /// <summary>
    /// <see cref="MomentNormalisation.ObjectMask"/>: the ink grown from the densest window's ink by 3×3 max pooling, the
    /// most steps it can take (H + W) unrolled.
    /// </summary>
    private static string ObjectMask(OnnxGraph g, StnArchitecture a, string mass)
    {
        string Pool(string op, string name, string x, long side, Action<OnnxNode>? more = null) => g.Op(op, name, n =>
        {
            n.AddAttribute("kernel_shape", new[] { side, side });
            n.AddAttribute("strides", new[] { 1L, 1L });
            n.AddAttribute("pads", new[] { side / 2, side / 2, side / 2, side / 2 });
            more?.Invoke(n);
        }, x);
        string Max(string name, string x) =>
            g.Op("ReduceMax", name, n => { n.AddAttribute("axes", new[] { 2L, 3L }); n.AddAttribute("keepdims", 1L); }, x);

        var planes = g.Unsqueeze("object.planes", mass, 1);
        var inkMask = g.Op("GreaterOrEqual", "object.ink_mask", planes,
            g.Mul("object.ink_threshold", Max("object.brightest", planes), g.Float("object.ink_fraction", MomentNormalisation.InkFraction)));
        var ink = g.Cast("object.ink", inkMask, OnnxDataType.Float);
        var density = Pool("AveragePool", "object.density", planes, MomentNormalisation.DensityWindow(a.Height, a.Width),
            n => n.AddAttribute("count_include_pad", 1L));
        var inkDensity = g.Op("Where", "object.ink_density", inkMask, density, g.Float("object.not_ink", -1f));
        var grown = g.Mul("object.core", g.Cast("object.densest", g.Op("GreaterOrEqual", "object.densest_mask", inkDensity,
            Max("object.most_dense", inkDensity)), OnnxDataType.Float), ink);
        for (int step = 0; step < a.Height + a.Width; step++)
            grown = g.Mul($"object.grown{step}", Pool("MaxPool", $"object.reach{step}", grown, 3), ink);
        return g.Reshape("object.mask", grown, -1, a.Height, a.Width);
    }

    /// <summary>A regressed correction as <see cref="SpatialTransformer"/> composes it (see <see cref="MomentNormalisation.KeepScale"/>).</summary>
    private static string Correction(OnnxGraph g, StnArchitecture a, string correction)
    {
        if (!MomentNormalisation.FixesScale(a.MomentView))
            return correction;
        string Slice(string name, string x, long[] starts, long[] ends, long[] axes) =>
            g.Op("Slice", name, x, g.Longs(name + ".starts", starts), g.Longs(name + ".ends", ends), g.Longs(name + ".axes", axes));
        string Entry(int row, int column) =>
            Slice($"keep_scale.a{row}{column}", correction, [row, column], [row + 1, column + 1], [1, 2]);
        var determinant = g.Sub("keep_scale.determinant", g.Mul("keep_scale.diagonal", Entry(0, 0), Entry(1, 1)), g.Mul("keep_scale.antidiagonal", Entry(0, 1), Entry(1, 0)));
        var size = g.Op("Sqrt", "keep_scale.size", g.Op("Max", "keep_scale.bounded", g.Op("Abs", "keep_scale.magnitude", determinant),
            g.Float("keep_scale.minimum", MomentNormalisation.MinimumDeterminant)));
        var linear = g.Div("keep_scale.linear", Slice("keep_scale.linear_part", correction, [0, 0], [2, 2], [1, 2]), size);
        var top = g.Op("Concat", "keep_scale.top", n => n.AddAttribute("axis", 2L), linear, Slice("keep_scale.shift", correction, [0, 2], [2, 3], [1, 2]));
        return a.Transform == TransformKind.Projective
            ? g.Op("Concat", "keep_scale.matrix", n => n.AddAttribute("axis", 1L), top, Slice("keep_scale.last_row", correction, [2], [3], [1]))
            : top;
    }

    /// <summary>
    /// The identity matrix [N, r, 3] through which the baseline reads each row of <paramref name="image"/>: 3×3 for
    /// <see cref="TransformKind.Projective"/>, else 2×3 (for a thin-plate spline too, as the network reads it).
    /// </summary>
    private static string IdentityMatrix(OnnxGraph g, StnArchitecture a, string image)
    {
        int rows = a.Transform == TransformKind.Projective ? 3 : 2;
        var identity = new float[rows * 3];
        for (int i = 0; i < identity.Length; i += 4) identity[i] = 1;
        return Rows(g, "identity", g.Floats("identity", identity, 1, rows, 3), image, rows, 3);
    }

    /// <summary>The baseline's θ output [N, T·(θ length)]: the network's identity blocks, one copy per row of <paramref name="image"/>.</summary>
    private static string IdentityTheta(OnnxGraph g, float[] identity, string image) =>
        Rows(g, "identity_theta", g.Floats("identity_theta", identity, 1, identity.Length), image, identity.Length);

    /// <summary><paramref name="single"/> [1, …] expanded to one copy per row of <paramref name="like"/>.</summary>
    private static string Rows(OnnxGraph g, string name, string single, string like, params long[] rowShape)
    {
        var batch = g.Op("Slice", name + ".batch", g.Op("Shape", name + ".like_shape", like), g.Longs(name + ".start", 0), g.Longs(name + ".end", 1));
        var shape = g.Op("Concat", name + ".shape", n => n.AddAttribute("axis", 0L), batch, g.Longs(name + ".row", rowShape));
        return g.Op("Expand", name + ".rows", single, shape);
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
