namespace Stn.Datasets.Tests;

[TestClass]
public sealed class PoseFiguresTests
{
    private const int Canvas = 42;

    /// <summary>The θ that reads the distorted object back into its canonical pose: p = c + s·R(α)·o.</summary>
    private static float[] Undo(RtsParameters p)
    {
        double r = p.AngleDegrees * Math.PI / 180.0, cos = Math.Cos(r) * p.Scale, sin = Math.Sin(r) * p.Scale;
        return [(float)cos, (float)sin, (float)(2 * p.ShiftX / Canvas), (float)-sin, (float)cos, (float)(2 * p.ShiftY / Canvas)];
    }

    private static (RtsParameters[] Applied, int[] Labels) Distortions(int count, int seed)
    {
        var rng = new Random(seed);
        var applied = Enumerable.Range(0, count).Select(_ => RtsDistortion.Sample(rng, 45, 0.7, 1.2, 7)).ToArray();
        return (applied, [.. Enumerable.Range(0, count).Select(i => i % 3)]);
    }

    [TestMethod]
    public void WarpThatUndoesTheDistortionLeavesNoSpread()
    {
        var (applied, labels) = Distortions(300, 1);
        var ratios = PoseFigures.MeanOverClasses(applied, labels, [.. applied.Select(Undo)], Canvas, Canvas);
        Assert.AreEqual(0, ratios.RotationLeft, 1e-4);
        Assert.AreEqual(0, ratios.Size, 1e-4);
        Assert.AreEqual(0, ratios.Position, 1e-4);
        Assert.AreEqual(0, ratios.PositionInInput, 1e-4);
    }

    [TestMethod]
    public void IdentityWarpLeavesAllSpread()
    {
        var (applied, labels) = Distortions(300, 2);
        var identity = Enumerable.Repeat(new[] { 1f, 0f, 0f, 0f, 1f, 0f }, applied.Length).ToList();
        var perClass = PoseFigures.PerClass(applied, labels, identity, Canvas, Canvas);
        Assert.AreEqual(3, perClass.Count);
        foreach (var r in perClass.Values)
        {
            Assert.AreEqual(1, r.RotationLeft, 1e-9);
            Assert.AreEqual(1, r.Size, 1e-9);
            Assert.AreEqual(1, r.Position, 1e-9);
            Assert.AreEqual(1, r.PositionInInput, 1e-9);
        }
    }

    [TestMethod]
    public void OneFixedWarpForAllOnlyMagnifiesPositions()
    {
        // The same rotation by 20° and zoom by 1/0.5 for every image: rotation and relative size spread are unchanged,
        // positions spread twice as far in the rectified image.
        var (applied, labels) = Distortions(300, 3);
        double r = 20 * Math.PI / 180;
        float cos = (float)(0.5 * Math.Cos(r)), sin = (float)(0.5 * Math.Sin(r));
        var theta = Enumerable.Repeat(new[] { cos, -sin, 0.1f, sin, cos, -0.2f }, applied.Length).ToList();
        var ratios = PoseFigures.MeanOverClasses(applied, labels, theta, Canvas, Canvas);
        Assert.AreEqual(1, ratios.RotationLeft, 1e-6);
        Assert.AreEqual(1, ratios.Size, 1e-6);
        Assert.AreEqual(2, ratios.Position, 1e-5);
        Assert.AreEqual(1, ratios.PositionInInput, 1e-6);
    }

    [TestMethod]
    public void ZoomMagnifiesTheOffsetLeftOnlyInTheRectifiedImage()
    {
        // Each view moves halfway to its object's centre and zooms in twice: half the offset is left in the input,
        // and twice that half in the rectified image.
        var (applied, labels) = Distortions(300, 4);
        var theta = applied.Select(p => new[] { 0.5f, 0f, (float)(p.ShiftX / Canvas), 0f, 0.5f, (float)(p.ShiftY / Canvas) }).ToList();
        var ratios = PoseFigures.MeanOverClasses(applied, labels, theta, Canvas, Canvas);
        Assert.AreEqual(0.5, ratios.PositionInInput, 1e-5);
        Assert.AreEqual(1, ratios.Position, 1e-5);
    }

    [TestMethod]
    public void PoseAfterWarpFollowsTheSamplersConvention()
    {
        // Warping a distorted image with the θ that PoseFigures says undoes it must give back the upright image, read
        // the way the spatial transformer's sampler reads (bilinear, −1 and +1 at the outer pixel edges).
        var glyph = Glyphs.Render(0, 28);
        var upright = RtsDistortion.Apply(glyph, 28, 28, Canvas, Canvas, new RtsParameters(0, 1, 0, 0));
        var applied = new RtsParameters(30, 0.8, 5, -3);
        var distorted = RtsDistortion.Apply(glyph, 28, 28, Canvas, Canvas, applied);
        var theta = Undo(applied);

        var pose = PoseFigures.AfterWarp(applied, theta, Canvas, Canvas);
        Assert.AreEqual(0, pose.AngleDegrees, 1e-4);
        Assert.AreEqual(1, pose.Scale, 1e-6);
        Assert.AreEqual(0, pose.X, 1e-6);
        Assert.AreEqual(0, pose.Y, 1e-6);

        double error = MeanAbsoluteDifference(Warp(distorted, theta), upright);
        var wrongWay = Undo(applied with { AngleDegrees = -applied.AngleDegrees });
        double wrongError = MeanAbsoluteDifference(Warp(distorted, wrongWay), upright);
        Assert.IsTrue(error < 0.25 * wrongError, $"undo error {error:F2}, wrong-way error {wrongError:F2}");
        Assert.IsTrue(error < 6, $"undo error {error:F2} of 255");
    }

    [TestMethod]
    public void RotationLeftWrapsAroundTheCircle()
    {
        var applied = new RtsParameters(170, 1, 0, 0);
        double r = 30 * Math.PI / 180;
        var pose = PoseFigures.AfterWarp(applied, [(float)Math.Cos(r), (float)-Math.Sin(r), 0, (float)Math.Sin(r), (float)Math.Cos(r), 0], Canvas, Canvas);
        Assert.AreEqual(-160, pose.AngleDegrees, 1e-4);
    }

    [TestMethod]
    public void SingularWarpIsRefused()
    {
        Assert.ThrowsExactly<ArgumentException>(() => PoseFigures.AfterWarp(new RtsParameters(0, 1, 0, 0), [0f, 0f, 0f, 0f, 0f, 0f], Canvas, Canvas));
        Assert.ThrowsExactly<ArgumentException>(() => PoseFigures.AfterWarp(new RtsParameters(0, 1, 0, 0), [1f, 0f, 0f, 0f], Canvas, Canvas));
    }

    private static float[] Warp(float[] image, float[] theta)
    {
        var output = new float[Canvas * Canvas];
        for (int i = 0; i < Canvas; i++)
        {
            for (int j = 0; j < Canvas; j++)
            {
                double x = (2.0 * j + 1) / Canvas - 1, y = (2.0 * i + 1) / Canvas - 1;
                double sx = theta[0] * x + theta[1] * y + theta[2], sy = theta[3] * x + theta[4] * y + theta[5];
                output[i * Canvas + j] = Bilinear(image, ((sx + 1) * Canvas - 1) / 2, ((sy + 1) * Canvas - 1) / 2);
            }
        }

        return output;
    }

    private static float Bilinear(float[] image, double x, double y)
    {
        int x0 = (int)Math.Floor(x), y0 = (int)Math.Floor(y);
        double ax = x - x0, ay = y - y0;
        double At(int xx, int yy) => (uint)xx < Canvas && (uint)yy < Canvas ? image[yy * Canvas + xx] : 0;
        return (float)((1 - ay) * ((1 - ax) * At(x0, y0) + ax * At(x0 + 1, y0)) + ay * ((1 - ax) * At(x0, y0 + 1) + ax * At(x0 + 1, y0 + 1)));
    }

    private static double MeanAbsoluteDifference(float[] a, float[] b) => a.Zip(b, (u, v) => Math.Abs(u - v)).Average();
}
