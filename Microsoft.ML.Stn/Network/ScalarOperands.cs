using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Stn.Network;

/// <summary>
/// Tensor operations with a number operand, each holding the operand's <see cref="Scalar"/> alive until libtorch has
/// returned and then disposing it.
/// </summary>
/// <remarks>
/// TorchSharp 0.107 turns a number operand (<c>t * 2.0</c>, <c>t.clamp(0, size - 1)</c>, <c>t.remainder(2)</c>) into
/// a Scalar that nobody disposes, and <c>add</c> makes its alpha of 1 the same way even between two tensors. Only the
/// Scalar's native handle reaches libtorch, so a collection during the call can finalize the Scalar and free it while
/// libtorch still reads it: under GC pressure that threw "Expected false to be true" from c10's Scalar.h, "Unknown
/// scalar type", or silently computed with a wrong number. Library code therefore writes scalar arithmetic with these
/// methods instead of TorchSharp's number overloads and operators (<c>-</c>, <c>*</c> and <c>/</c> between two
/// tensors are safe; <c>+</c> is not). Each computes exactly what the operator it replaces does.
/// </remarks>
internal static class ScalarOperands
{
    /// <summary><paramref name="left"/> + <paramref name="right"/>.</summary>
    public static Tensor Plus(this Tensor left, Tensor right)
    {
        using var alpha = 1.ToScalar();
        return left.add(right, alpha);
    }

    /// <summary>Adds <paramref name="other"/> to <paramref name="target"/> in place.</summary>
    public static Tensor AddInPlace(this Tensor target, Tensor other)
    {
        using var alpha = 1.ToScalar();
        return target.add_(other, alpha);
    }

    /// <summary><paramref name="left"/> + <paramref name="right"/>.</summary>
    public static Tensor Plus(this Tensor left, double right)
    {
        using var scalar = right.ToScalar();
        using var alpha = 1.ToScalar();
        return left.add(scalar, alpha);
    }

    /// <summary><paramref name="left"/> − <paramref name="right"/>.</summary>
    public static Tensor Minus(this Tensor left, double right) => WithScalar(right, left.sub);

    /// <summary><paramref name="left"/> − <paramref name="right"/>, computed as −right + left like TorchSharp's operator.</summary>
    public static Tensor SubtractedFrom(this Tensor right, double left)
    {
        using var negated = right.negative();
        return negated.Plus(left);
    }

    /// <summary><paramref name="left"/> · <paramref name="right"/>.</summary>
    public static Tensor Times(this Tensor left, double right) => WithScalar(right, left.mul);

    /// <summary><paramref name="left"/> · <paramref name="right"/>; an integer tensor stays an integer tensor.</summary>
    public static Tensor Times(this Tensor left, long right)
    {
        using var scalar = right.ToScalar();
        return left.mul(scalar);
    }

    /// <summary><paramref name="left"/> / <paramref name="right"/>.</summary>
    public static Tensor DividedBy(this Tensor left, double right) => WithScalar(right, scalar => left.div(scalar));

    /// <summary>Each element clamped to [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public static Tensor Clamped(this Tensor input, double min, double max)
    {
        using var low = min.ToScalar();
        using var high = max.ToScalar();
        return input.clamp(low, high);
    }

    /// <summary>Each element raised to at least <paramref name="min"/>.</summary>
    public static Tensor ClampedBelow(this Tensor input, double min) => WithScalar(min, input.clamp_min);

    /// <summary>C's fmod: the remainder with the sign of <paramref name="input"/>.</summary>
    public static Tensor Fmod(this Tensor input, double divisor) => WithScalar(divisor, input.fmod);

    /// <summary>Python's remainder: the remainder with the sign of <paramref name="divisor"/>.</summary>
    public static Tensor Remainder(this Tensor input, double divisor) => WithScalar(divisor, input.remainder);

    /// <summary>Where <paramref name="input"/> equals <paramref name="value"/>.</summary>
    public static Tensor EqualTo(this Tensor input, double value) => WithScalar(value, input.eq);

    /// <summary>Where <paramref name="input"/> is greater than <paramref name="value"/>.</summary>
    public static Tensor GreaterThan(this Tensor input, double value) => WithScalar(value, input.gt);

    /// <summary>Where <paramref name="input"/> is less than <paramref name="value"/>.</summary>
    public static Tensor LessThan(this Tensor input, double value) => WithScalar(value, input.lt);

    /// <summary>Where <paramref name="input"/> is at least <paramref name="value"/>.</summary>
    public static Tensor AtLeast(this Tensor input, double value) => WithScalar(value, input.ge);

    /// <summary>Where <paramref name="input"/> is at most <paramref name="value"/>.</summary>
    public static Tensor AtMost(this Tensor input, double value) => WithScalar(value, input.le);

    /// <summary>Applies <paramref name="operation"/> to <paramref name="value"/> as a Scalar that lives until it returns.</summary>
    private static Tensor WithScalar(double value, Func<Scalar, Tensor> operation)
    {
        using var scalar = value.ToScalar();
        return operation(scalar);
    }
}
