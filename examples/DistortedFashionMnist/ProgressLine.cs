using Microsoft.ML.Stn;

namespace DistortedFashionMnist;

/// <summary>
/// Shows training progress: one line rewritten in place on a terminal, one line per epoch when the output goes to a
/// file or pipe (where carriage returns would pile up as noise).
/// </summary>
internal sealed class ProgressLine(string model)
{
    private readonly bool _interactive = !Console.IsOutputRedirected;
    private int _width;

    public void Report(StnTrainingProgress p)
    {
        if (p.IsEpochEnd)
        {
            string validation = p.ValidationAccuracy is { } v ? $"{v:P1}" : "n/a";
            Write($"{model} epoch {p.Epoch}/{p.Epochs}: loss {p.Loss:F3}, train acc {p.TrainingAccuracy:P1}, " +
                  $"val acc {validation}, {p.ImagesPerSecond:F0} img/s, {p.Elapsed:mm\\:ss} elapsed");
            if (_interactive)
            {
                Console.WriteLine();
                _width = 0;
            }
            return;
        }

        if (_interactive)
        {
            Write($"{model} epoch {p.Epoch}/{p.Epochs} batch {p.Batch}/{p.Batches}: loss {p.Loss:F3}, " +
                  $"{p.ImagesPerSecond:F0} img/s, {p.Remaining:mm\\:ss} left");
        }
    }

    private void Write(string text)
    {
        if (!_interactive)
        {
            Console.WriteLine(text);
            return;
        }

        Console.Write('\r' + text.PadRight(_width));
        _width = text.Length;
    }
}
