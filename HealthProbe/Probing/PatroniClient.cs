using System.Text.Json;
using HaStack.HealthProbe.Model;

namespace HaStack.HealthProbe.Probing;

/// <summary>A target could not be checked: it did not answer, or it answered but is not what it should be.</summary>
/// <param name="message">One line, naming the target (never a password).</param>
/// <param name="misconfigured">True when retrying will not help (not a Patroni API, login refused).</param>
/// <param name="inner">The underlying failure.</param>
public sealed class ProbeTargetException(string message, bool misconfigured = false, Exception? inner = null)
    : Exception(message, inner)
{
    public bool Misconfigured { get; } = misconfigured;
}

/// <summary>A member as it describes itself in <c>GET /patroni</c>.</summary>
public sealed record PatroniNodeView(
    string? Name,
    string? Scope,
    string State,
    string Role,
    long? Timeline,
    long? WalLocation,
    long? ReceivedLocation,
    long? ReplayedLocation,
    bool? ReplayPaused,
    IReadOnlyList<StandbyStatus> Replication);

/// <summary>A member as the DCS (Patroni's <c>GET /cluster</c>) knows it.</summary>
public sealed record PatroniClusterMember(string Name, string Role, string? State, string? Host, int? Port, string? ApiUrl, long? Timeline, long? LagBytes);

/// <param name="Scope">The cluster's name.</param>
/// <param name="Members">Members registered in the DCS.</param>
/// <param name="Paused">Maintenance mode (<c>patronictl pause</c>): Patroni neither fails over nor resumes paused replay.</param>
public sealed record PatroniClusterView(string? Scope, IReadOnlyList<PatroniClusterMember> Members, bool Paused = false);

/// <summary>The read-only part of Patroni's REST API the probe uses; every failure becomes a <see cref="ProbeTargetException"/>.</summary>
public sealed class PatroniClient(HttpClient http, TimeSpan timeout)
{
    public async Task<PatroniNodeView> GetNodeAsync(Uri baseUrl, CancellationToken ct)
    {
        using var json = await GetJsonAsync(baseUrl, "patroni", ct).ConfigureAwait(false);
        var root = json.RootElement;
        if (root.ValueKind != JsonValueKind.Object || Str(root, "state") is not { } state || Str(root, "role") is not { } role)
        {
            throw new ProbeTargetException($"{baseUrl} is not a Patroni REST API: GET /patroni has no state and role", misconfigured: true);
        }

        var xlog = root.TryGetProperty("xlog", out var x) && x.ValueKind == JsonValueKind.Object ? x : default;
        var replication = new List<StandbyStatus>();
        if (root.TryGetProperty("replication", out var list) && list.ValueKind == JsonValueKind.Array)
        {
            foreach (var r in list.EnumerateArray())
            {
                replication.Add(new StandbyStatus(Str(r, "application_name") ?? "?", Str(r, "client_addr"), Str(r, "state") ?? "?",
                    Str(r, "sync_state") ?? "?", null, null, null, null, null, null));
            }
        }

        var patroni = root.TryGetProperty("patroni", out var p) && p.ValueKind == JsonValueKind.Object ? p : default;
        return new PatroniNodeView(
            Name: patroni.ValueKind == JsonValueKind.Object ? Str(patroni, "name") : null,
            Scope: patroni.ValueKind == JsonValueKind.Object ? Str(patroni, "scope") : null,
            State: state,
            Role: NormalizeRole(role),
            Timeline: Long(root, "timeline"),
            WalLocation: xlog.ValueKind == JsonValueKind.Object ? Long(xlog, "location") : null,
            ReceivedLocation: xlog.ValueKind == JsonValueKind.Object ? Long(xlog, "received_location") : null,
            ReplayedLocation: xlog.ValueKind == JsonValueKind.Object ? Long(xlog, "replayed_location") : null,
            ReplayPaused: xlog.ValueKind == JsonValueKind.Object && xlog.TryGetProperty("paused", out var paused) && paused.ValueKind is JsonValueKind.True or JsonValueKind.False ? paused.GetBoolean() : null,
            Replication: replication);
    }

    public async Task<PatroniClusterView> GetClusterAsync(Uri baseUrl, CancellationToken ct)
    {
        using var json = await GetJsonAsync(baseUrl, "cluster", ct).ConfigureAwait(false);
        var root = json.RootElement;
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("members", out var members) || members.ValueKind != JsonValueKind.Array)
        {
            throw new ProbeTargetException($"{baseUrl} is not a Patroni REST API: GET /cluster has no members", misconfigured: true);
        }

        var list = new List<PatroniClusterMember>();
        foreach (var m in members.EnumerateArray())
        {
            list.Add(new PatroniClusterMember(
                Str(m, "name") ?? "?", NormalizeRole(Str(m, "role") ?? "?"), Str(m, "state"), Str(m, "host"),
                (int?)Long(m, "port"), Str(m, "api_url"), Long(m, "timeline"), Long(m, "lag")));
        }

        return new PatroniClusterView(Str(root, "scope"), list,
            root.TryGetProperty("pause", out var pause) && pause.ValueKind == JsonValueKind.True);
    }

    /// <summary>The dynamic configuration (ttl, loop_wait, maximum_lag_on_failover, synchronous_mode).</summary>
    public async Task<ClusterSettings> GetConfigAsync(Uri baseUrl, ClusterSettings fallback, CancellationToken ct)
    {
        using var json = await GetJsonAsync(baseUrl, "config", ct).ConfigureAwait(false);
        var root = json.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
        {
            return fallback;
        }

        return new ClusterSettings(
            Ttl: (int?)Long(root, "ttl") ?? fallback.Ttl,
            LoopWait: (int?)Long(root, "loop_wait") ?? fallback.LoopWait,
            MaximumLagOnFailover: Long(root, "maximum_lag_on_failover") ?? fallback.MaximumLagOnFailover,
            // true, or "quorum" on Patroni 4 (quorum commit is synchronous too).
            SynchronousMode: root.TryGetProperty("synchronous_mode", out var sync)
                ? sync.ValueKind == JsonValueKind.True || sync is { ValueKind: JsonValueKind.String } && sync.GetString() is "on" or "true" or "quorum"
                : fallback.SynchronousMode,
            RetryTimeout: (int?)Long(root, "retry_timeout") ?? fallback.RetryTimeout);
    }

    /// <summary>
    /// <c>/cluster</c> says <c>leader</c> on every Patroni; <c>/patroni</c> says <c>primary</c> on Patroni 4 and
    /// <see cref="Patroni30PrimaryRole"/> on Patroni 3.0 (the PostgreSQL 15 platform).
    /// </summary>
    public static string NormalizeRole(string role) => role is "primary" or Patroni30PrimaryRole ? "leader" : role;

    /// <summary>Patroni 3.0.2's <c>/patroni</c> role for the primary, read only to understand that version.</summary>
    private const string Patroni30PrimaryRole = "master";

    private async Task<JsonDocument> GetJsonAsync(Uri baseUrl, string path, CancellationToken ct)
    {
        var url = new Uri(baseUrl, path);
        using var timeoutCts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeoutCts.CancelAfter(timeout);
        try
        {
            using var response = await http.GetAsync(url, HttpCompletionOption.ResponseContentRead, timeoutCts.Token).ConfigureAwait(false);
            // Patroni answers /patroni, /cluster and /config with 200 (and 503 for some health endpoints, never these).
            if (!response.IsSuccessStatusCode)
            {
                throw new ProbeTargetException(
                    $"{baseUrl} is not a Patroni REST API: GET /{path} answered {(int)response.StatusCode} {response.ReasonPhrase}", misconfigured: true);
            }

            var body = await response.Content.ReadAsStreamAsync(timeoutCts.Token).ConfigureAwait(false);
            try
            {
                return await JsonDocument.ParseAsync(body, default, timeoutCts.Token).ConfigureAwait(false);
            }
            catch (JsonException)
            {
                throw new ProbeTargetException($"{baseUrl} is not a Patroni REST API: GET /{path} did not return JSON", misconfigured: true);
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new ProbeTargetException($"{baseUrl}: no answer within {timeout.TotalSeconds:0.#} s");
        }
        catch (HttpRequestException ex)
        {
            throw new ProbeTargetException($"{baseUrl}: {OneLine(ex)}", inner: ex);
        }
    }

    /// <summary>The innermost message of an exception chain, on one line.</summary>
    public static string OneLine(Exception ex)
    {
        var message = ex.Message;
        for (var inner = ex.InnerException; inner is not null; inner = inner.InnerException)
        {
            if (!string.IsNullOrWhiteSpace(inner.Message) && !message.Contains(inner.Message, StringComparison.Ordinal))
            {
                message = $"{message} ({inner.Message})";
            }
        }

        return message.ReplaceLineEndings(" ");
    }

    private static string? Str(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) ? v.ValueKind switch
        {
            JsonValueKind.String => v.GetString(),
            JsonValueKind.Number => v.GetRawText(),
            _ => null,
        } : null;

    private static long? Long(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var n) ? n : null;
}
