using System.Globalization;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.Stn.MLNet;

/// <summary>
/// The label's key type: its count and, when it has them, its key values, so that <c>PredictedLabel</c> gets the same
/// key type and <c>MapKeyToValue</c> restores the original labels, and <c>Score</c> gets slot names.
/// Key values of the primitive types <c>MapValueToKey</c> produces are kept; others are dropped with a warning.
/// </summary>
internal sealed class LabelKeys
{
    /// <summary>The key value types kept, by the tag a saved model stores for them (names, so that the list can grow
    /// or be reordered without breaking saved models).</summary>
    private static readonly Dictionary<string, PrimitiveDataViewType> s_supported = new()
    {
        ["Text"] = TextDataViewType.Instance,
        ["Single"] = NumberDataViewType.Single,
        ["Double"] = NumberDataViewType.Double,
        ["Int32"] = NumberDataViewType.Int32,
        ["UInt32"] = NumberDataViewType.UInt32,
        ["Int64"] = NumberDataViewType.Int64,
        ["Boolean"] = BooleanDataViewType.Instance,
    };

    private LabelKeys(int count, PrimitiveDataViewType? itemType, Array? values)
    {
        Count = count;
        ItemType = itemType;
        Values = values;
    }

    public int Count { get; }

    /// <summary>The key values' type, or null when the label has none (or of an unsupported type).</summary>
    public PrimitiveDataViewType? ItemType { get; }

    /// <summary>A T[] of <see cref="Count"/> key values, T being <see cref="ItemType"/>'s raw type.</summary>
    public Array? Values { get; }

    public static LabelKeys FromColumn(IChannel channel, DataViewSchema.Column label)
    {
        if (label.Type is not KeyDataViewType key || key.RawType != typeof(uint))
            throw channel.ExceptSchemaMismatch("schema", "label", label.Name, "Key<UInt32> (apply MapValueToKey first)", label.Type.ToString());
        if (key.Count < 2 || key.Count > int.MaxValue)
            throw channel.ExceptParam(nameof(StnClassifyOptions.LabelColumnName),
                $"Label column '{label.Name}' has {key.Count} classes; StnClassify needs at least 2.");
        int count = (int)key.Count;
        var annotation = label.Annotations.Schema.GetColumnOrNull(AnnotationUtils.Kinds.KeyValues);
        if (annotation is not { Type: VectorDataViewType { ItemType: PrimitiveDataViewType itemType } })
            return new LabelKeys(count, null, null);
        if (!s_supported.ContainsValue(itemType))
        {
            channel.Warning("Key values of type {0} of label column '{1}' are not kept; PredictedLabel will have none.", itemType, label.Name);
            return new LabelKeys(count, null, null);
        }
        var read = typeof(LabelKeys).GetMethod(nameof(ReadValues), System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!
            .MakeGenericMethod(itemType.RawType);
        return new LabelKeys(count, itemType, (Array)read.Invoke(null, new object[] { label, count })!);
    }

    private static T[] ReadValues<T>(DataViewSchema.Column label, int count)
    {
        var values = default(VBuffer<T>);
        label.GetKeyValues(ref values);
        var dense = new T[count];
        values.CopyTo(dense);
        return dense;
    }

    /// <summary>A display name of class <paramref name="index"/> (0-based), the same in every culture as ML.NET's own
    /// conversions to text (a label of 1.5 is "1.5", not "1,5").</summary>
    public string Name(int index) => Values is null
        ? (index + 1).ToString(CultureInfo.InvariantCulture)
        : Convert.ToString(Values.GetValue(index), CultureInfo.InvariantCulture) ?? "";

    public KeyDataViewType KeyType => new(typeof(uint), (ulong)Count);

    public DataViewSchema.Annotations KeyValuesAnnotations()
    {
        var builder = new DataViewSchema.Annotations.Builder();
        if (ItemType is not null && Values is not null)
        {
            typeof(LabelKeys).GetMethod(nameof(AddKeyValues), System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!
                .MakeGenericMethod(ItemType.RawType).Invoke(this, new object[] { builder });
        }
        return builder.ToAnnotations();
    }

    private void AddKeyValues<T>(DataViewSchema.Annotations.Builder builder)
    {
        var values = new VBuffer<T>(Count, (T[])Values!);
        builder.AddKeyValues(Count, (PrimitiveDataViewType)ItemType!, (ref VBuffer<T> dst) => values.CopyTo(ref dst));
    }

    public DataViewSchema.Annotations ScoreAnnotations()
    {
        var builder = new DataViewSchema.Annotations.Builder();
        if (Values is not null)
        {
            var names = new ReadOnlyMemory<char>[Count];
            for (int i = 0; i < Count; i++) names[i] = Name(i).AsMemory();
            var slotNames = new VBuffer<ReadOnlyMemory<char>>(Count, names);
            builder.AddSlotNames(Count, (ref VBuffer<ReadOnlyMemory<char>> dst) => slotNames.CopyTo(ref dst));
        }
        builder.Add(AnnotationUtils.Kinds.ScoreColumnKind, TextDataViewType.Instance,
            (ref ReadOnlyMemory<char> dst) => dst = AnnotationUtils.Const.ScoreColumnKind.MulticlassClassification.AsMemory());
        builder.Add(AnnotationUtils.Kinds.ScoreValueKind, TextDataViewType.Instance,
            (ref ReadOnlyMemory<char> dst) => dst = AnnotationUtils.Const.ScoreValueKind.Score.AsMemory());
        return builder.ToAnnotations();
    }

    /// <summary>
    /// The shape of a label's key type for <c>GetOutputSchema</c> before training: a <see cref="SchemaShape"/> carries
    /// the key values' type but no count or values, so two placeholder classes stand in for them.
    /// </summary>
    public static LabelKeys ForShape(SchemaShape.Column label)
    {
        var itemType = label.Annotations.TryFindColumn(AnnotationUtils.Kinds.KeyValues, out var keyValues)
            ? keyValues.ItemType as PrimitiveDataViewType
            : null;
        return itemType is not null && s_supported.ContainsValue(itemType)
            ? new LabelKeys(2, itemType, Array.CreateInstance(itemType.RawType, 2))
            : new LabelKeys(2, null, null);
    }

    // *** Binary format ***
    // int: class count
    // string: key value type tag (see s_supported), empty when there are no key values
    // then, with a tag, the class count's key values in that type
    public void Write(BinaryWriter writer)
    {
        writer.Write(Count);
        string tag = ItemType is null ? "" : s_supported.First(t => t.Value.Equals(ItemType)).Key;
        writer.Write(tag);
        if (ItemType is null) return;
        for (int i = 0; i < Count; i++)
        {
            switch (Values!.GetValue(i))
            {
                case ReadOnlyMemory<char> text: writer.Write(text.ToString()); break;
                case float f: writer.Write(f); break;
                case double d: writer.Write(d); break;
                case int n: writer.Write(n); break;
                case uint u: writer.Write(u); break;
                case long l: writer.Write(l); break;
                case bool b: writer.Write(b); break;
            }
        }
    }

    public static LabelKeys Read(BinaryReader reader)
    {
        int count = reader.ReadInt32();
        if (count < 2)
            throw new InvalidDataException($"The stored class count is {count}; it must be at least 2.");
        string tag = reader.ReadString();
        if (tag.Length == 0) return new LabelKeys(count, null, null);
        if (!s_supported.TryGetValue(tag, out var itemType))
            throw new InvalidDataException($"Unknown key value type '{tag}'.");
        Array values = Array.CreateInstance(itemType.RawType, count);
        for (int i = 0; i < count; i++)
        {
            object value = itemType.RawType switch
            {
                var t when t == typeof(ReadOnlyMemory<char>) => reader.ReadString().AsMemory(),
                var t when t == typeof(float) => reader.ReadSingle(),
                var t when t == typeof(double) => reader.ReadDouble(),
                var t when t == typeof(int) => reader.ReadInt32(),
                var t when t == typeof(uint) => reader.ReadUInt32(),
                var t when t == typeof(long) => reader.ReadInt64(),
                _ => reader.ReadBoolean(),
            };
            values.SetValue(value, i);
        }
        return new LabelKeys(count, itemType, values);
    }
}
