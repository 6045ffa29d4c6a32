using System.Text.Json;
using System.Text.Json.Serialization;

namespace Fersnet.Serialization;

/// <summary>
/// The one JSON dialect of the project: checkpoint headers, result lines, reports and the CLI's JSON output.
/// camelCase names, enums as camelCase strings, NaN and infinities allowed (a metric may be undefined).
/// </summary>
public static class FersnetJson
{
    /// <summary>Compact (one line): result files and checkpoint headers.</summary>
    public static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = false,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>The same dialect, indented: reports meant to be read.</summary>
    public static readonly JsonSerializerOptions Indented = new(Options) { WriteIndented = true };
}
