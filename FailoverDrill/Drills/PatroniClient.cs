using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace HaStack.FailoverDrill.Drills;

/// <summary>A member as Patroni's <c>GET /cluster</c> reports it.</summary>
public sealed record PatroniMember(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("role")] string Role,
    [property: JsonPropertyName("state")] string? State,
    [property: JsonPropertyName("timeline")] long? Timeline,
    [property: JsonPropertyName("lag")] JsonElement? Lag,
    [property: JsonPropertyName("tags")] JsonElement? Tags)
{
    public bool IsLeader => Role is "leader" or "standby_leader";

    /// <summary>A synchronous standby: Patroni's named one, or one of a quorum (Patroni 4's quorum commit).</summary>
    public bool IsSyncStandby => Role is "sync_standby" or "quorum_standby";

    public bool IsRunning => State is "running" or "streaming";

    /// <summary>Replication lag in bytes; null when Patroni reports it as unknown.</summary>
    public long? LagBytes => Lag is { ValueKind: JsonValueKind.Number } lag ? lag.GetInt64() : null;

    /// <summary>Patroni's <c>nofailover</c> tag: this member may never be promoted.</summary>
    public bool NoFailover => Tags is { ValueKind: JsonValueKind.Object } tags
                              && tags.TryGetProperty("nofailover", out var value) && value.ValueKind == JsonValueKind.True;
}

public sealed record PatroniClusterView([property: JsonPropertyName("members")] List<PatroniMember> Members)
{
    public PatroniMember? Leader => Members.FirstOrDefault(m => m.IsLeader);

    public int LeaderCount => Members.Count(m => m.IsLeader);
}

/// <summary>A replication connection as the leader's <c>GET /patroni</c> lists it (from <c>pg_stat_replication</c>).</summary>
public sealed record PatroniReplication(
    [property: JsonPropertyName("application_name")] string ApplicationName,
    [property: JsonPropertyName("state")] string? State,
    [property: JsonPropertyName("sync_state")] string? SyncState);

/// <summary>One node's own view (<c>GET /patroni</c>).</summary>
public sealed record PatroniNodeStatus(
    [property: JsonPropertyName("role")] string? Role,
    [property: JsonPropertyName("state")] string? State,
    [property: JsonPropertyName("timeline")] long? Timeline,
    [property: JsonPropertyName("replication")] List<PatroniReplication>? Replication)
{
    /// <summary><c>primary</c> on Patroni 4; Patroni 3.0.2 (the PostgreSQL 15 platform) still says <see cref="Patroni30PrimaryRole"/>.</summary>
    public bool IsPrimary => Role is "primary" or Patroni30PrimaryRole && State == "running";

    private const string Patroni30PrimaryRole = "master";
}

/// <summary>The DCS settings a drill depends on (<c>GET /config</c>).</summary>
public sealed record PatroniDynamicConfig(
    [property: JsonPropertyName("ttl")] int Ttl = 30,
    [property: JsonPropertyName("loop_wait")] int LoopWait = 10,
    [property: JsonPropertyName("retry_timeout")] int RetryTimeout = 10,
    [property: JsonPropertyName("maximum_lag_on_failover")] long MaximumLagOnFailover = 1048576,
    [property: JsonPropertyName("synchronous_mode")] JsonElement? SynchronousModeValue = null,
    [property: JsonPropertyName("synchronous_mode_strict")] bool SynchronousModeStrict = false)
{
    /// <summary><c>off</c>, <c>on</c>, <c>strict</c> or <c>quorum</c> (Patroni 4 stores quorum as a string, the rest as booleans).</summary>
    public string SynchronousModeName => SynchronousModeValue switch
    {
        { ValueKind: JsonValueKind.True } => SynchronousModeStrict ? "strict" : "on",
        { ValueKind: JsonValueKind.String } s when s.GetString() is "quorum" => "quorum",
        { ValueKind: JsonValueKind.String } s when s.GetString() is "on" or "true" => SynchronousModeStrict ? "strict" : "on",
        _ => "off",
    };

    /// <summary>Commits wait for a standby (on, strict or quorum).</summary>
    public bool SynchronousMode => SynchronousModeName != "off";
}

/// <summary>Thrown when no Patroni REST API answers.</summary>
public sealed class PatroniUnreachableException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Patroni's REST API over a list of node URLs: reads go to whichever node answers (the last one that did first),
/// so a dead node costs one short timeout.
/// </summary>
public sealed class PatroniClient : IDisposable
{
    private readonly HttpClient _http;
    private readonly IReadOnlyList<Uri> _nodes;
    private readonly string? _user;
    private readonly string? _password;
    private int _preferred;

    public PatroniClient(IReadOnlyList<Uri> nodes, string? user, string? password, TimeSpan? requestTimeout = null)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        if (nodes.Count == 0)
        {
            throw new ArgumentException("At least one Patroni URL is needed.", nameof(nodes));
        }

        _nodes = nodes;
        _user = user;
        _password = password;
        _http = new HttpClient { Timeout = requestTimeout ?? TimeSpan.FromSeconds(1.5) };
    }

    public IReadOnlyList<Uri> Nodes => _nodes;

    public Task<PatroniClusterView> GetClusterAsync(CancellationToken ct) => GetFromAnyAsync<PatroniClusterView>("cluster", ct);

    public Task<PatroniDynamicConfig> GetConfigAsync(CancellationToken ct) => GetFromAnyAsync<PatroniDynamicConfig>("config", ct);

    /// <summary>
    /// The view of the node that is a running primary per its own REST API (null if none answers as one): its
    /// replication list says who streams from it.
    /// </summary>
    public async Task<PatroniNodeStatus?> GetPrimaryStatusAsync(CancellationToken ct)
    {
        var views = await Task.WhenAll(_nodes.Select(async node =>
        {
            try
            {
                return await _http.GetFromJsonAsync<PatroniNodeStatus>(new Uri(node, "patroni"), ct).ConfigureAwait(false);
            }
            catch (Exception ex) when (IsTransient(ex, ct))
            {
                return null;
            }
        })).ConfigureAwait(false);
        return views.FirstOrDefault(v => v is { IsPrimary: true });
    }

    /// <summary><c>POST /switchover</c> (basic auth): Patroni moves the leader lock and answers when done.</summary>
    public async Task<string> SwitchoverAsync(string leader, string? candidate, CancellationToken ct)
    {
        var body = JsonSerializer.Serialize(candidate is null
            ? new Dictionary<string, string> { ["leader"] = leader }
            : new Dictionary<string, string> { ["leader"] = leader, ["candidate"] = candidate });
        Exception? last = null;
        foreach (var node in Ordered())
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(node, "switchover"))
            {
                Content = new StringContent(body, Encoding.UTF8, "application/json"),
            };
            if (_user is not null && _password is not null)
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{_user}:{_password}")));
            }

            try
            {
                // A switchover takes a few seconds: Patroni answers once the new leader holds the lock.
                using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
                cts.CancelAfter(TimeSpan.FromSeconds(60));
                using var http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
                using var response = await http.SendAsync(request, cts.Token).ConfigureAwait(false);
                var text = (await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false)).Trim();
                if (!response.IsSuccessStatusCode)
                {
                    throw new InvalidOperationException($"Patroni refused the switchover ({(int)response.StatusCode}): {text}");
                }

                return text;
            }
            catch (HttpRequestException ex)
            {
                last = ex;
            }
        }

        throw new PatroniUnreachableException("No Patroni node accepted POST /switchover.", last);
    }

    private async Task<T> GetFromAnyAsync<T>(string path, CancellationToken ct)
    {
        Exception? last = null;
        foreach (var (node, index) in Ordered().Select((n, i) => (n, (i + _preferred) % _nodes.Count)))
        {
            try
            {
                var result = await _http.GetFromJsonAsync<T>(new Uri(node, path), ct).ConfigureAwait(false)
                             ?? throw new JsonException($"empty /{path}");
                _preferred = index;
                return result;
            }
            catch (Exception ex) when (IsTransient(ex, ct))
            {
                last = ex;
            }
        }

        throw new PatroniUnreachableException(
            $"no Patroni REST API answered GET /{path} at {string.Join(", ", _nodes)} ({last?.Message})", last);
    }

    private IEnumerable<Uri> Ordered() => _nodes.Skip(_preferred).Concat(_nodes.Take(_preferred));

    private static bool IsTransient(Exception ex, CancellationToken ct) =>
        !ct.IsCancellationRequested && ex is HttpRequestException or TaskCanceledException or JsonException or NotSupportedException;

    public void Dispose() => _http.Dispose();
}
