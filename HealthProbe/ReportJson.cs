using System.Text.Json;
using System.Text.Json.Serialization;

namespace HaStack.HealthProbe;

/// <summary>How reports look as JSON (<c>GET /status</c>, <c>check --json</c>): camelCase, enums as words.</summary>
public static class ReportJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter() },
        WriteIndented = true,
    };
}
