using System.Globalization;
using System.Net;
using System.Text.Json;

namespace HaStack.Hosting;

/// <summary>
/// What a dashboard drill command says when the drill is over (the commands wait for it): passed with the new leader,
/// the RTO per path and the writes checked; or failed, refused or busy, with the drill's own reason.
/// </summary>
internal static class DrillCommandResult
{
    public static async Task<ExecuteCommandResult> ReadAsync(HttpCommandResultContext context)
    {
        var response = context.Response;
        var (parsed, unreadable) = await ReadJsonAsync(context).ConfigureAwait(false);
        if (parsed is not { } report)
        {
            return unreadable!;
        }

        string? Str(string name) => report.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        if (response.StatusCode is HttpStatusCode.Conflict or HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
        {
            return CommandResults.Failure(Str("error") ?? $"The drill service answered {(int)response.StatusCode}.");
        }

        var outcome = Str("outcome");
        var kind = Str("kind") ?? "drill";
        if (outcome == "passed")
        {
            var paths = report.TryGetProperty("paths", out var p) && p.ValueKind == JsonValueKind.Array
                ? string.Join(", ", p.EnumerateArray().Select(path => string.Create(CultureInfo.InvariantCulture,
                    $"{path.GetProperty("path").GetString()} RTO {(path.TryGetProperty("rtoSeconds", out var rto) && rto.ValueKind == JsonValueKind.Number ? rto.GetDouble().ToString("0.0", CultureInfo.InvariantCulture) + " s" : "?")}")))
                : "";
            var acknowledged = report.TryGetProperty("check", out var check) && check.TryGetProperty("acknowledged", out var a) ? a.GetInt32() : 0;
            var leader = Str("newLeader") is { } newLeader ? $"leader {Str("oldLeader")} -> {newLeader}" : $"leader {Str("oldLeader")} kept";
            return CommandResults.Success(
                $"The {kind} drill passed: {leader}; {paths}; {acknowledged} acknowledged writes, none lost.{Service(report)} Report: /drills/last.");
        }

        return CommandResults.Failure(outcome == "refused"
            ? $"The {kind} drill was refused, nothing was touched: {Str("reason")}"
            : $"The {kind} drill failed: {Str("reason")}. Report: /drills/last.");
    }

    /// <summary>
    /// The measured service's figures for the outcome line: its requests sent, failed by status, unknown, longest gap,
    /// lost writes and those stored despite a 5xx; empty when the drill measured no service.
    /// </summary>
    private static string Service(JsonElement report)
    {
        if (!report.TryGetProperty("service", out var service) || service.ValueKind != JsonValueKind.Object)
        {
            return "";
        }

        int Int(string name) => service.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt32() : 0;
        var failed = service.TryGetProperty("failed", out var f) && f.ValueKind == JsonValueKind.Object
            ? f.EnumerateObject().Select(e => $"{e.Value.GetInt32()}x {e.Name}").ToList()
            : [];
        var gap = service.TryGetProperty("longestGapSeconds", out var g) && g.ValueKind == JsonValueKind.Number ? g.GetDouble().ToString("0.0", CultureInfo.InvariantCulture) + " s" : "?";
        int Count(string name) => service.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Array ? v.GetArrayLength() : 0;
        var kept = Count("storedDespiteError");
        return string.Create(CultureInfo.InvariantCulture,
            $" Service {service.GetProperty("write").GetString()}: {Int("sent")} sent, {(failed.Count == 0 ? "0 failed" : "failed " + string.Join(", ", failed))}, {Int("unknown")} unknown, longest gap {gap}, {Count("lost")} lost{(kept == 0 ? "" : $", {kept} stored despite a 5xx")}.");
    }

    /// <summary>What the chaos soak command says: passed with its faults and writes, or failed or refused with the reason.</summary>
    public static async Task<ExecuteCommandResult> ReadSoakAsync(HttpCommandResultContext context)
    {
        var response = context.Response;
        var (parsed, unreadable) = await ReadJsonAsync(context).ConfigureAwait(false);
        if (parsed is not { } soak)
        {
            return unreadable!;
        }

        string? Str(string name) => soak.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        if (response.StatusCode is not (HttpStatusCode.OK or HttpStatusCode.PreconditionFailed))
        {
            return CommandResults.Failure(Str("error") ?? $"The drill service answered {(int)response.StatusCode}.");
        }

        var faults = soak.TryGetProperty("faults", out var f) && f.ValueKind == JsonValueKind.Array ? f.GetArrayLength() : 0;
        var acknowledged = soak.TryGetProperty("check", out var check) && check.TryGetProperty("acknowledged", out var a) ? a.GetInt32() : 0;
        return Str("outcome") switch
        {
            "passed" => CommandResults.Success(string.Create(CultureInfo.InvariantCulture,
                $"The chaos soak passed: {faults} faults (seed {soak.GetProperty("seed").GetInt32()}), {acknowledged} acknowledged writes, none lost, no split brain. Report: /soaks/last.")),
            "refused" => CommandResults.Failure($"The chaos soak was refused, nothing was touched: {Str("reason")}"),
            _ => CommandResults.Failure($"The chaos soak failed: {Str("reason")}. Report: /soaks/last."),
        };
    }

    /// <summary>The answer's JSON, or the failure a command shows when the service answered something else.</summary>
    private static async Task<(JsonElement? Json, ExecuteCommandResult? Failure)> ReadJsonAsync(HttpCommandResultContext context)
    {
        var text = await context.Response.Content.ReadAsStringAsync(context.CancellationToken).ConfigureAwait(false);
        try
        {
            using var json = JsonDocument.Parse(text);
            return (json.RootElement.Clone(), null);
        }
        catch (JsonException)
        {
            return (null, CommandResults.Failure($"The drill service answered {(int)context.Response.StatusCode}: {text.Trim()}"));
        }
    }
}
