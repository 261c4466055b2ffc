using static TorchSharp.torch;

namespace Microsoft.ML.Stn.Network;

/// <summary>
/// Maps the localisation network's output rows [N, P] to transform matrices θ:
/// [N, 2, 3] for every kind except <see cref="TransformKind.Projective"/>, which yields [N, 3, 3], and
/// <see cref="TransformKind.ThinPlateSpline"/>, whose θ is not a matrix but the control points' targets [N, K², 2]
/// (see <see cref="ToTheta"/>).
/// </summary>
/// <remarks>
/// θ maps normalised target coordinates (x, y, 1) to normalised source coordinates, with x pointing right and
/// y pointing down (image rows). Consequently, for <see cref="TransformKind.Similarity"/> a positive angle a
/// gives θ = [[cos a, −sin a], [sin a, cos a]], which rotates the sampling grid clockwise on screen and so
/// rotates the image content counter-clockwise on screen by a; content is rotated 90° clockwise by a = −π/2,
/// θ = [[0, 1, 0], [−1, 0, 0]]. Every construction is built from differentiable tensor operations so that
/// gradients flow from θ back to the localisation network.
/// </remarks>
public static class TransformParameterisation
{
    /// <summary>Number of parameters P the localisation network must regress for <paramref name="kind"/>.</summary>
    /// <param name="kind">The transform family.</param>
    /// <param name="controlPointGridSize">K, used only by <see cref="TransformKind.ThinPlateSpline"/>.</param>
    /// <returns>6, 4, 3, 2, 8 or 2K² for affine, similarity, attention, translation, projective and thin-plate spline respectively.</returns>
    public static int ParameterCount(TransformKind kind, int controlPointGridSize = ThinPlateSplineGrid.DefaultControlPointGridSize) => kind switch
    {
        TransformKind.Affine => 6,
        TransformKind.Similarity => 4,
        TransformKind.Attention => 3,
        TransformKind.Translation => 2,
        TransformKind.Projective => 8,
        TransformKind.ThinPlateSpline => 2 * controlPointGridSize * controlPointGridSize,
        _ => throw UnknownKind(kind),
    };

    /// <summary>Number of rows of θ: 3 for <see cref="TransformKind.Projective"/>, 2 for the other matrix kinds.</summary>
    /// <param name="kind">A matrix transform family.</param>
    /// <returns>2 or 3.</returns>
    /// <exception cref="ArgumentException"><paramref name="kind"/> is <see cref="TransformKind.ThinPlateSpline"/>, which has no matrix.</exception>
    public static int MatrixRows(TransformKind kind) => kind switch
    {
        TransformKind.Projective => 3,
        TransformKind.Affine or TransformKind.Similarity or TransformKind.Attention or TransformKind.Translation => 2,
        TransformKind.ThinPlateSpline => throw NoMatrix(),
        _ => throw UnknownKind(kind),
    };

    /// <summary>Length of one flattened θ: 6 (2×3), 9 (3×3, projective) or 2K² (thin-plate spline).</summary>
    /// <param name="kind">The transform family.</param>
    /// <param name="controlPointGridSize">K, used only by <see cref="TransformKind.ThinPlateSpline"/>.</param>
    /// <returns>The number of θ values per transformer.</returns>
    public static int ThetaLength(TransformKind kind, int controlPointGridSize = ThinPlateSplineGrid.DefaultControlPointGridSize) =>
        kind == TransformKind.ThinPlateSpline ? ParameterCount(kind, controlPointGridSize) : MatrixRows(kind) * 3;

    /// <summary>
    /// The parameter vector whose θ is the identity transform; used as the bias of the localisation
    /// network's last layer so that a freshly initialised spatial transformer passes its input through unchanged.
    /// </summary>
    /// <param name="kind">The transform family.</param>
    /// <param name="controlPointGridSize">K, used only by <see cref="TransformKind.ThinPlateSpline"/>.</param>
    /// <returns>A new array of <see cref="ParameterCount"/> values.</returns>
    public static float[] IdentityParameters(TransformKind kind, int controlPointGridSize = ThinPlateSplineGrid.DefaultControlPointGridSize) => kind switch
    {
        TransformKind.Affine => [1f, 0f, 0f, 0f, 1f, 0f],
        TransformKind.Similarity => [0f, 1f, 0f, 0f],
        TransformKind.Attention => [1f, 0f, 0f],
        TransformKind.Translation => [0f, 0f],
        TransformKind.Projective => [1f, 0f, 0f, 0f, 1f, 0f, 0f, 0f],
        TransformKind.ThinPlateSpline => ThinPlateSplineGrid.IdentityTheta(controlPointGridSize),
        _ => throw UnknownKind(kind),
    };

    /// <summary>
    /// Builds θ from a batch of parameter rows: the matrix of <see cref="ToMatrix"/>, or for
    /// <see cref="TransformKind.ThinPlateSpline"/> the targets [N, K², 2] (the parameters are the targets themselves).
    /// </summary>
    /// <param name="kind">The transform family.</param>
    /// <param name="parameters">Parameters of shape [N, P].</param>
    /// <param name="controlPointGridSize">K, used only by <see cref="TransformKind.ThinPlateSpline"/>.</param>
    /// <returns>θ in the dtype and on the device of <paramref name="parameters"/>.</returns>
    /// <exception cref="ArgumentException"><paramref name="parameters"/> is not of shape [N, P].</exception>
    public static Tensor ToTheta(TransformKind kind, Tensor parameters, int controlPointGridSize = ThinPlateSplineGrid.DefaultControlPointGridSize)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (kind != TransformKind.ThinPlateSpline)
            return ToMatrix(kind, parameters);

        int count = ParameterCount(kind, controlPointGridSize);
        if (parameters.dim() != 2 || parameters.shape[1] != count)
        {
            throw new ArgumentException(
                $"expected {kind} parameters of shape [N, {count}], got {ShapeText.Of(parameters.shape)}", nameof(parameters));
        }

        return parameters.reshape(parameters.shape[0], count / 2, 2);
    }

    /// <summary>Builds θ from a batch of parameter rows.</summary>
    /// <param name="kind">The transform family; fixes P and the layout described on <see cref="TransformKind"/>.</param>
    /// <param name="parameters">Parameters of shape [N, P].</param>
    /// <returns>θ of shape [N, 2, 3], or [N, 3, 3] for <see cref="TransformKind.Projective"/>, in the dtype and on the device of <paramref name="parameters"/>.</returns>
    /// <exception cref="ArgumentException"><paramref name="parameters"/> is not of shape [N, P], or <paramref name="kind"/>
    /// is <see cref="TransformKind.ThinPlateSpline"/> (use <see cref="ToTheta"/>).</exception>
    public static Tensor ToMatrix(TransformKind kind, Tensor parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (kind == TransformKind.ThinPlateSpline) throw NoMatrix();
        int count = ParameterCount(kind);
        if (parameters.dim() != 2 || parameters.shape[1] != count)
        {
            throw new ArgumentException(
                $"expected {kind} parameters of shape [N, {count}], got {ShapeText.Of(parameters.shape)}", nameof(parameters));
        }

        using var scope = NewDisposeScope();
        long n = parameters.shape[0];
        Tensor Column(int i) => parameters.select(1, i);
        Tensor matrix;
        switch (kind)
        {
            case TransformKind.Affine:
                matrix = parameters.reshape(n, 2, 3);
                break;
            case TransformKind.Similarity:
                {
                    var angle = Column(0);
                    var scale = Column(1);
                    var cos = scale * angle.cos();
                    var sin = scale * angle.sin();
                    matrix = stack([cos, -sin, Column(2), sin, cos, Column(3)], 1).reshape(n, 2, 3);
                    break;
                }
            case TransformKind.Attention:
                {
                    var scale = Column(0);
                    var zero = zeros_like(scale);
                    matrix = stack([scale, zero, Column(1), zero, scale, Column(2)], 1).reshape(n, 2, 3);
                    break;
                }
            case TransformKind.Translation:
                {
                    var one = ones_like(Column(0));
                    var zero = zeros_like(one);
                    matrix = stack([one, zero, Column(0), zero, one, Column(1)], 1).reshape(n, 2, 3);
                    break;
                }
            case TransformKind.Projective:
                matrix = cat([parameters, ones(n, 1, dtype: parameters.dtype, device: parameters.device)], 1).reshape(n, 3, 3);
                break;
            default:
                throw UnknownKind(kind);
        }

        return matrix.MoveToOuterDisposeScope();
    }

    private static ArgumentException NoMatrix() =>
        new("a thin-plate spline has no transform matrix: its θ is the control points' targets", "kind");

    private static ArgumentOutOfRangeException UnknownKind(TransformKind kind) =>
        new(nameof(kind), kind, $"unknown transform kind {kind}");
}
