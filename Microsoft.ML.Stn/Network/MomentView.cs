namespace Microsoft.ML.Stn.Network;

/// <summary>Which starting view <see cref="MomentNormalisation"/> gives the localisation network, if any.</summary>
public enum MomentView
{
    /// <summary>No starting view: the localisation network looks at the whole input.</summary>
    None = 0,

    /// <summary>
    /// A square on the ink's centre of mass with a half side of <see cref="MomentNormalisation.ViewRadii"/> radii of
    /// gyration. The localisation network's corrections may rescale it. Models saved in format 4 use this view.
    /// </summary>
    RadiusOfGyration = 1,

    /// <summary>
    /// A square on the middle of the ink's extent along and across its principal axis, with a half side of
    /// <see cref="MomentNormalisation.ViewMargin"/> halves of the longer extent. The view fixes the scale: the localisation
    /// network's corrections keep it (their 2×2 part is scaled to unit determinant) and learn rotation, shear and shift.
    /// </summary>
    InkExtent = 2,

    /// <summary>
    /// The box of the object's ink along the image axes, a half side for each axis (<see cref="MomentNormalisation.ViewMargin"/>
    /// halves of the ink's width and height), on its middle. The object is the ink connected to the densest part of the
    /// image, so that clutter apart from it neither moves nor widens the box. Like
    /// <see cref="InkExtent"/> the view fixes the scale: the localisation network's corrections keep it.
    /// </summary>
    ObjectBox = 3,
}
