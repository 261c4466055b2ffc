using Microsoft.ML.Data;

namespace Microsoft.ML.Stn.MLNet;

/// <summary>
/// Holds one input column's values for the rows of a batch, so a batching cursor can serve input columns in step
/// with the scores after the input cursor has moved on. Vectors are deep-copied, as getters own their buffers.
/// </summary>
internal abstract class ColumnBuffer
{
    public abstract void Fill(int slot);

    /// <summary>A getter of the value in the slot that <paramref name="slot"/> names when it is called.</summary>
    public ValueGetter<TValue> Getter<TValue>(Func<int> slot, DataViewSchema.Column column) =>
        this is ColumnBuffer<TValue> typed ? typed.TypedGetter(slot) : throw RowErrors.WrongType(column, typeof(TValue));

    public static ColumnBuffer Create(DataViewRow row, DataViewSchema.Column column, int capacity)
    {
        var raw = column.Type.RawType;
        var type = raw.IsGenericType && raw.GetGenericTypeDefinition() == typeof(VBuffer<>)
            ? typeof(VectorColumnBuffer<>).MakeGenericType(raw.GetGenericArguments()[0])
            : typeof(ValueColumnBuffer<>).MakeGenericType(raw);
        return (ColumnBuffer)Activator.CreateInstance(type, row, column, capacity)!;
    }
}

internal abstract class ColumnBuffer<T> : ColumnBuffer
{
    public abstract ValueGetter<T> TypedGetter(Func<int> slot);
}

internal sealed class ValueColumnBuffer<T> : ColumnBuffer<T>
{
    private readonly ValueGetter<T> _source;
    private readonly T[] _values;

    public ValueColumnBuffer(DataViewRow row, DataViewSchema.Column column, int capacity)
    {
        _source = row.GetGetter<T>(column);
        _values = new T[capacity];
    }

    public override void Fill(int slot) => _source(ref _values[slot]);

    public override ValueGetter<T> TypedGetter(Func<int> slot) => (ref T value) => value = _values[slot()];
}

internal sealed class VectorColumnBuffer<T> : ColumnBuffer<VBuffer<T>>
{
    private readonly ValueGetter<VBuffer<T>> _source;
    private readonly VBuffer<T>[] _values;

    public VectorColumnBuffer(DataViewRow row, DataViewSchema.Column column, int capacity)
    {
        _source = row.GetGetter<VBuffer<T>>(column);
        _values = new VBuffer<T>[capacity];
    }

    public override void Fill(int slot) => _source(ref _values[slot]);

    public override ValueGetter<VBuffer<T>> TypedGetter(Func<int> slot) => (ref VBuffer<T> value) => _values[slot()].CopyTo(ref value);
}
