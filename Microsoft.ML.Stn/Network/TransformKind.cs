namespace Microsoft.ML.Stn;

/// <summary>
/// The family of spatial transforms the localisation network regresses.
/// The matrix kinds yield a 2×3 affine matrix θ, <see cref="Projective"/> a 3×3 homography; θ maps normalised output
/// (target) coordinates to normalised input (source) coordinates, as in Jaderberg et al. (2015).
/// <see cref="ThinPlateSpline"/> is not a matrix: its θ is the input positions of a grid of control points.
/// </summary>
public enum TransformKind
{
    /// <summary>General affine transform: 6 parameters, the rows of θ = [[θ11, θ12, θ13], [θ21, θ22, θ23]].</summary>
    Affine = 0,

    /// <summary>
    /// Rotation, isotropic scale and translation: 4 parameters (angle a in radians, scale s, tx, ty),
    /// θ = [[s·cos a, −s·sin a, tx], [s·sin a, s·cos a, ty]]. Because θ maps output to input and image y points
    /// down, a positive angle turns the image content counter-clockwise on screen; identity is (0, 1, 0, 0).
    /// </summary>
    Similarity,

    /// <summary>Isotropic scale and translation (the paper's attention transform): 3 parameters (s, tx, ty), θ = [[s, 0, tx], [0, s, ty]].</summary>
    Attention,

    /// <summary>Pure translation: 2 parameters (tx, ty), θ = [[1, 0, tx], [0, 1, ty]].</summary>
    Translation,

    /// <summary>
    /// Homography: 8 parameters, the first 8 row-major entries of a 3×3 matrix whose last entry is fixed to 1.
    /// Source coordinates are obtained with a perspective divide (x, y, w) → (x/w, y/w).
    /// </summary>
    Projective,

    /// <summary>
    /// Thin-plate spline: K×K control points evenly spaced over the output (K is
    /// <see cref="StnClassifyOptions.ControlPointGridSize"/>) are moved to 2K² regressed input positions, and the
    /// output grid follows the smoothest interpolating spline (see <see cref="Network.ThinPlateSplineGrid"/>). θ is
    /// those positions: x then y of each control point, the points row-major over the grid, in normalised input
    /// coordinates; θ equal to the control points themselves is the identity. It bends as well as rotates, scales and
    /// shears, for elastic distortions.
    /// </summary>
    ThinPlateSpline,
}
