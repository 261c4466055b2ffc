using System.Globalization;
using System.Reflection;
using Microsoft.ML.Stn;

namespace Stn.Examples;

/// <summary>
/// Sets <see cref="StnClassifyOptions"/> properties from <c>Name=Value,Name=Value</c> text (the examples' <c>--stn</c>), so
/// that a candidate default can be measured by every experiment command before it becomes one. Compiled into each
/// example that takes <c>--stn</c>.
/// </summary>
internal static class OptionSettings
{
    public static void Apply(StnClassifyOptions options, string settings)
    {
        foreach (var setting in settings.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var parts = setting.Split('=', 2, StringSplitOptions.TrimEntries);
            var property = typeof(StnClassifyOptions).GetProperty(parts[0], BindingFlags.Public | BindingFlags.Instance);
            if (parts.Length != 2 || property is null || !property.CanWrite)
                throw new ArgumentException($"--stn: '{setting}' is not Option=Value with a settable StnClassifyOptions property.");
            var type = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            object? value;
            try
            {
                value = parts[1] is "null" ? null
                    : type.IsEnum ? Enum.Parse(type, parts[1], ignoreCase: true)
                    : Convert.ChangeType(parts[1], type, CultureInfo.InvariantCulture);
            }
            catch (Exception e) when (e is FormatException or ArgumentException or InvalidCastException or OverflowException)
            {
                throw new ArgumentException($"--stn: '{parts[1]}' is not a valid {type.Name} for {property.Name}.", e);
            }
            property.SetValue(options, value);
        }
    }
}
