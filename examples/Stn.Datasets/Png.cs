using System.Runtime.InteropServices;
using SkiaSharp;

namespace Stn.Datasets;

/// <summary>PNG pictures for examples: contact sheets of image pairs and line charts of training curves.</summary>
public static class Png
{
    private const byte SheetBackground = 96;

    private static readonly SKColor[] Palette =
    [
        new(0x1f, 0x77, 0xb4), new(0xd6, 0x27, 0x28), new(0x2c, 0xa0, 0x2c), new(0xff, 0x7f, 0x0e),
        new(0x94, 0x67, 0xbd), new(0x8c, 0x56, 0x4b), new(0xe3, 0x77, 0xc2), new(0x17, 0xbe, 0xcf),
    ];

    /// <summary>
    /// Writes a greyscale grid whose cells each show a square single-channel image on the left and its counterpart
    /// (for example a spatial transformer's rectified output) on the right, on a grey background that outlines them.
    /// </summary>
    /// <param name="path">Output file.</param>
    /// <param name="pairs">Images, row-major, values clamped to 0–255, with their sides in pixels.</param>
    /// <param name="columns">Cells per row.</param>
    /// <param name="scale">Nearest-neighbour magnification of every pixel.</param>
    /// <param name="boxes">
    /// Optional boxes on each left image, in its pixel-edge coordinates: the true box in green and the predicted box in
    /// red (the predicted box is clipped to the image where it reaches beyond it).
    /// </param>
    public static void WriteContactSheet(string path, IReadOnlyList<(float[] Left, int LeftSize, float[] Right, int RightSize)> pairs, int columns, int scale,
        IReadOnlyList<(Box Truth, Box Predicted)>? boxes = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(pairs);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(columns);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(scale);
        if (pairs.Count == 0)
        {
            throw new ArgumentException("A contact sheet needs at least one pair.", nameof(pairs));
        }

        foreach (var (left, leftSize, right, rightSize) in pairs)
        {
            if (left.Length != leftSize * leftSize || right.Length != rightSize * rightSize)
            {
                throw new ArgumentException("Each image must have side×side pixels.", nameof(pairs));
            }
        }

        int gap = Math.Max(2, scale);
        int leftSide = pairs.Max(p => p.LeftSize) * scale, rightSide = pairs.Max(p => p.RightSize) * scale;
        int cellWidth = gap + leftSide + gap / 2 + rightSide + gap;
        int cellHeight = gap + Math.Max(leftSide, rightSide) + gap;
        int cols = Math.Min(columns, pairs.Count);
        int rows = (pairs.Count + cols - 1) / cols;
        int width = cols * cellWidth, height = rows * cellHeight;

        var gray = new byte[width * height];
        Array.Fill(gray, SheetBackground);
        for (int i = 0; i < pairs.Count; i++)
        {
            var (left, leftSize, right, rightSize) = pairs[i];
            int x0 = (i % cols) * cellWidth + gap, y0 = (i / cols) * cellHeight + gap;
            Blit(gray, width, left, leftSize, leftSize, scale, x0, y0);
            Blit(gray, width, right, rightSize, rightSize, scale, x0 + leftSide + gap / 2, y0);
        }

        if (boxes is null)
        {
            SaveGrey(gray, width, height, path);
            return;
        }

        if (boxes.Count != pairs.Count)
        {
            throw new ArgumentException($"{boxes.Count} box pairs for {pairs.Count} images.", nameof(boxes));
        }

        using var surface = SKSurface.Create(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul));
        using (var sheet = GreyBitmap(gray, width, height))
        {
            surface.Canvas.DrawBitmap(sheet, 0, 0);
        }

        using var truthPaint = new SKPaint { Color = new SKColor(0x2c, 0xd0, 0x2c), StrokeWidth = 1, Style = SKPaintStyle.Stroke };
        using var predictedPaint = new SKPaint { Color = new SKColor(0xff, 0x30, 0x30), StrokeWidth = 1, Style = SKPaintStyle.Stroke };
        for (int i = 0; i < pairs.Count; i++)
        {
            int x0 = (i % cols) * cellWidth + gap, y0 = (i / cols) * cellHeight + gap, size = pairs[i].LeftSize;
            Outline(surface.Canvas, boxes[i].Truth, size, scale, x0, y0, truthPaint);
            Outline(surface.Canvas, boxes[i].Predicted, size, scale, x0, y0, predictedPaint);
        }

        using var image = surface.Snapshot();
        Save(image, path);
    }

    /// <summary>Draws a box's outline just inside its edges, clipped to the image, so a whole-image box stays visible.</summary>
    private static void Outline(SKCanvas canvas, Box box, int size, int scale, int x0, int y0, SKPaint paint)
    {
        if (!box.IsFinite)
        {
            return;
        }

        float Clip(float v) => Math.Clamp(v, 0, size) * scale;
        var rect = new SKRect(x0 + Clip(box.Left) + 0.5f, y0 + Clip(box.Top) + 0.5f, x0 + Clip(box.Right) - 0.5f, y0 + Clip(box.Bottom) - 0.5f);
        if (rect.Width > 0 && rect.Height > 0)
        {
            canvas.DrawRect(rect, paint);
        }
    }

    /// <summary>Writes one single-channel image (values clamped to 0–255) as a greyscale PNG.</summary>
    /// <param name="path">Output file.</param>
    /// <param name="pixels">Row-major pixels.</param>
    /// <param name="height">Rows.</param>
    /// <param name="width">Columns.</param>
    public static void WriteGrey(string path, float[] pixels, int height, int width)
    {
        var gray = new byte[height * width];
        Blit(gray, width, pixels, height, width, 1, 0, 0);
        SaveGrey(gray, width, height, path);
    }

    /// <summary>Writes a line chart of one or more series against their 1-based index (for example accuracy by epoch).</summary>
    /// <param name="path">Output file.</param>
    /// <param name="title">Chart title.</param>
    /// <param name="series">Named series; each gets its own colour and a legend entry. Non-finite values are skipped.</param>
    /// <param name="xLabel">Label of the horizontal axis.</param>
    /// <param name="yLabel">Label of the vertical axis.</param>
    public static void WriteLinePlot(string path, string title, IReadOnlyList<(string Name, IReadOnlyList<double> Values)> series, string xLabel, string yLabel)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(series);

        const int Width = 900, Height = 540;
        const float Left = 80, Right = 190, Top = 50, Bottom = 70;
        float plotWidth = Width - Left - Right, plotHeight = Height - Top - Bottom;

        var finite = series.SelectMany(s => s.Values).Where(double.IsFinite).ToArray();
        double yMin = finite.Length > 0 ? finite.Min() : 0, yMax = finite.Length > 0 ? finite.Max() : 1;
        if (yMax - yMin < 1e-9)
        {
            yMin -= 0.5;
            yMax += 0.5;
        }

        double yStep = NiceStep((yMax - yMin) / 5);
        yMin = Math.Floor(yMin / yStep) * yStep;
        yMax = Math.Ceiling(yMax / yStep) * yStep;
        int points = Math.Max(2, series.Count == 0 ? 0 : series.Max(s => s.Values.Count));
        int xStep = (int)Math.Max(1, NiceStep((points - 1) / 8.0));

        float X(double index) => Left + (float)((index - 1) / (points - 1) * plotWidth);
        float Y(double value) => Top + (float)((yMax - value) / (yMax - yMin) * plotHeight);

        using var surface = SKSurface.Create(new SKImageInfo(Width, Height, SKColorType.Rgba8888, SKAlphaType.Premul));
        var canvas = surface.Canvas;
        canvas.Clear(SKColors.White);

        using var gridPaint = new SKPaint { Color = new SKColor(0xe0, 0xe0, 0xe0), StrokeWidth = 1, IsAntialias = true };
        using var axisPaint = new SKPaint { Color = SKColors.Black, StrokeWidth = 1.5f, IsAntialias = true };
        using var textPaint = new SKPaint { Color = SKColors.Black, TextSize = 14, IsAntialias = true, Typeface = SKTypeface.Default };
        using var titlePaint = new SKPaint { Color = SKColors.Black, TextSize = 18, IsAntialias = true, FakeBoldText = true, Typeface = SKTypeface.Default };

        for (int k = 0; yMin + k * yStep <= yMax + yStep * 1e-6; k++)
        {
            double value = yMin + k * yStep;
            float y = Y(value);
            canvas.DrawLine(Left, y, Left + plotWidth, y, gridPaint);
            canvas.DrawLine(Left - 5, y, Left, y, axisPaint);
            var text = FormatTick(value, yStep);
            canvas.DrawText(text, Left - 8 - textPaint.MeasureText(text), y + 5, textPaint);
        }

        for (int index = 1; index <= points; index += xStep)
        {
            float x = X(index);
            canvas.DrawLine(x, Top, x, Top + plotHeight, gridPaint);
            canvas.DrawLine(x, Top + plotHeight, x, Top + plotHeight + 5, axisPaint);
            var text = index.ToString(System.Globalization.CultureInfo.InvariantCulture);
            canvas.DrawText(text, x - textPaint.MeasureText(text) / 2, Top + plotHeight + 22, textPaint);
        }

        canvas.DrawLine(Left, Top, Left, Top + plotHeight, axisPaint);
        canvas.DrawLine(Left, Top + plotHeight, Left + plotWidth, Top + plotHeight, axisPaint);

        canvas.DrawText(title, Left + (plotWidth - titlePaint.MeasureText(title)) / 2, Top - 18, titlePaint);
        canvas.DrawText(xLabel, Left + (plotWidth - textPaint.MeasureText(xLabel)) / 2, Height - 20, textPaint);
        canvas.Save();
        canvas.RotateDegrees(-90, 22, Top + plotHeight / 2);
        canvas.DrawText(yLabel, 22 - textPaint.MeasureText(yLabel) / 2, Top + plotHeight / 2, textPaint);
        canvas.Restore();

        for (int s = 0; s < series.Count; s++)
        {
            var color = Palette[s % Palette.Length];
            using var linePaint = new SKPaint { Color = color, StrokeWidth = 2.5f, IsAntialias = true, Style = SKPaintStyle.Stroke };
            using var dotPaint = new SKPaint { Color = color, IsAntialias = true, Style = SKPaintStyle.Fill };
            using var line = new SKPath();
            bool open = false;
            var values = series[s].Values;
            for (int i = 0; i < values.Count; i++)
            {
                if (!double.IsFinite(values[i]))
                {
                    open = false;
                    continue;
                }

                float x = X(i + 1), y = Y(values[i]);
                if (open)
                {
                    line.LineTo(x, y);
                }
                else
                {
                    line.MoveTo(x, y);
                    open = true;
                }

                canvas.DrawCircle(x, y, 3.5f, dotPaint);
            }

            canvas.DrawPath(line, linePaint);

            float legendY = Top + 10 + s * 24;
            canvas.DrawLine(Left + plotWidth + 15, legendY, Left + plotWidth + 45, legendY, linePaint);
            canvas.DrawText(series[s].Name, Left + plotWidth + 52, legendY + 5, textPaint);
        }

        using var image = surface.Snapshot();
        Save(image, path);
    }

    private static void Blit(byte[] target, int targetWidth, float[] image, int height, int width, int scale, int x0, int y0)
    {
        for (int y = 0; y < height * scale; y++)
        {
            for (int x = 0; x < width * scale; x++)
            {
                float v = image[(y / scale) * width + x / scale];
                target[(y0 + y) * targetWidth + x0 + x] = (byte)Math.Round(Math.Clamp(float.IsNaN(v) ? 0 : v, 0, 255));
            }
        }
    }

    private static void SaveGrey(byte[] gray, int width, int height, string path)
    {
        using var bitmap = GreyBitmap(gray, width, height);
        using var image = SKImage.FromBitmap(bitmap);
        Save(image, path);
    }

    private static SKBitmap GreyBitmap(byte[] gray, int width, int height)
    {
        var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Gray8, SKAlphaType.Opaque));
        for (int y = 0; y < height; y++)
            Marshal.Copy(gray, y * width, bitmap.GetPixels() + y * bitmap.RowBytes, width);
        return bitmap;
    }

    private static void Save(SKImage image, string path)
    {
        using var data = image.Encode(SKEncodedImageFormat.Png, 100)
            ?? throw new InvalidOperationException($"SkiaSharp could not encode {path} as PNG.");
        using var file = File.Create(path);
        data.SaveTo(file);
    }

    /// <summary>A step of 1, 2 or 5 times a power of ten, so tick labels stay short.</summary>
    private static double NiceStep(double rough)
    {
        if (!(rough > 0))
        {
            return 1;
        }

        double magnitude = Math.Pow(10, Math.Floor(Math.Log10(rough)));
        double fraction = rough / magnitude;
        return (fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10) * magnitude;
    }

    private static string FormatTick(double value, double step)
    {
        int decimals = Math.Max(0, (int)Math.Ceiling(-Math.Log10(step) - 1e-9));
        return value.ToString("F" + decimals, System.Globalization.CultureInfo.InvariantCulture);
    }
}
