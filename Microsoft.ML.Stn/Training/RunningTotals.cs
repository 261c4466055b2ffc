using Microsoft.ML.Stn.Network;
using static TorchSharp.torch;

namespace Microsoft.ML.Stn.Training;

/// <summary>
/// An epoch's running loss (summed over rows) and count of correct predictions, added up on the training device so
/// that a batch needs no read back to the host; <see cref="Read"/> waits for the device and is called once per report.
/// </summary>
internal sealed class RunningTotals : IDisposable
{
    private readonly Tensor _totals;

    public RunningTotals(Device device)
    {
        _totals = zeros(2, ScalarType.Float64, device);
    }

    public void Reset() => _totals.zero_();

    /// <summary>Adds a batch of <paramref name="rows"/> rows: its mean loss and its logits against the labels.</summary>
    public void Add(Tensor loss, Tensor logits, Tensor labels, int rows)
    {
        using var scope = NewDisposeScope();
        // The loss times the rows in float32, then summed in float64: the arithmetic of adding (float)loss * rows to a
        // double on the host, so the reported numbers do not change with where they are added up. Counts stay exact in
        // float64 up to 2^53 rows.
        var lossTerm = loss.detach().Times((long)rows).to_type(ScalarType.Float64);
        var correct = logits.detach().argmax(1).eq(labels).sum().to_type(ScalarType.Float64);
        _totals.AddInPlace(stack([lossTerm, correct]));
    }

    /// <summary>The loss summed over the rows so far and the number of correct predictions.</summary>
    public (double LossSum, double Correct) Read()
    {
        using var host = _totals.cpu();
        var values = host.data<double>();
        return (values[0], values[1]);
    }

    public void Dispose() => _totals.Dispose();
}
