using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace HaStack.Patroni;

/// <summary>
/// Patroni's REST API. Calls name a node's base URL, or go to <see cref="Nodes"/>: reads from whichever node
/// answers (the last one that did first, so a dead node costs one short timeout), a switchover through the first
/// node that takes it. Every failure is a <see cref="PatroniApiException"/>. The <see cref="HttpClient"/> is the
/// caller's (from <c>IHttpClientFactory</c> in the services); timeouts are per request.
/// </summary>
public sealed class PatroniClient(HttpClient http, IReadOnlyList<Uri>? nodes = null, PatroniCredentials? credentials = null, TimeSpan? requestTimeout = null)
{
    /// <summary>How long a switchover may take: Patroni answers once the new leader holds the lock.</summary>
    public static readonly TimeSpan SwitchoverTimeout = TimeSpan.FromSeconds(60);

    private readonly TimeSpan _timeout = requestTimeout ?? TimeSpan.FromSeconds(1.5);
    private int _preferred;

    /// <summary>Every node's REST API base URL, in the order they are tried.</summary>
    public IReadOnlyList<Uri> Nodes { get; } = nodes ?? [];

    /// <summary>How long one request to one node may take.</summary>
    public TimeSpan RequestTimeout => _timeout;

    /// <summary><c>GET /patroni</c>: the node's own view (role, state, WAL positions, replication list on a leader).</summary>
    public async Task<PatroniNodeStatus> GetNodeAsync(Uri node, CancellationToken ct)
    {
        using var json = await GetJsonAsync(node, "patroni", ct).ConfigureAwait(false);
        var root = json.RootElement;
        if (root.ValueKind != JsonValueKind.Object || Str(root, "state") is not { } state || Str(root, "role") is not { } role)
        {
            throw new PatroniApiException($"{node} is not a Patroni REST API: GET /patroni has no state and role", PatroniFailure.NotPatroni);
        }

        var xlog = Obj(root, "xlog");
        var patroni = Obj(root, "patroni");
        var replication = new List<PatroniReplication>();
        if (root.TryGetProperty("replication", out var list) && list.ValueKind == JsonValueKind.Array)
        {
            replication.AddRange(list.EnumerateArray().Select(r =>
                new PatroniReplication(Str(r, "application_name") ?? "?", Str(r, "client_addr"), Str(r, "state"), Str(r, "sync_state"))));
        }

        return new PatroniNodeStatus(
            Name: Str(patroni, "name"),
            Scope: Str(patroni, "scope"),
            State: state,
            Role: PatroniRole.Normalize(role),
            Timeline: Long(root, "timeline"),
            WalLocation: Long(xlog, "location"),
            ReceivedLocation: Long(xlog, "received_location"),
            ReplayedLocation: Long(xlog, "replayed_location"),
            ReplayPaused: Bool(xlog, "paused"),
            PatroniVersion: Str(patroni, "version"),
            ServerVersion: Long(root, "server_version"),
            Replication: replication);
    }

    /// <summary><c>GET /cluster</c>: every member as the DCS knows it.</summary>
    public async Task<PatroniClusterView> GetClusterAsync(Uri node, CancellationToken ct)
    {
        using var json = await GetJsonAsync(node, "cluster", ct).ConfigureAwait(false);
        var root = json.RootElement;
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("members", out var members) || members.ValueKind != JsonValueKind.Array)
        {
            throw new PatroniApiException($"{node} is not a Patroni REST API: GET /cluster has no members", PatroniFailure.NotPatroni);
        }

        var list = members.EnumerateArray().Select(m => new PatroniMember(
            Str(m, "name") ?? "?", PatroniRole.Normalize(Str(m, "role")), Str(m, "state"), Str(m, "host"), (int?)Long(m, "port"),
            Str(m, "api_url"), Long(m, "timeline"), Long(m, "lag"), Bool(Obj(m, "tags"), "nofailover") == true)).ToList();
        return new PatroniClusterView(Str(root, "scope"), list, Bool(root, "pause") == true);
    }

    /// <summary><c>GET /config</c>: the dynamic configuration (timing, lag limit, synchronous and failsafe modes).</summary>
    public async Task<PatroniDynamicConfig> GetConfigAsync(Uri node, CancellationToken ct)
    {
        using var json = await GetJsonAsync(node, "config", ct).ConfigureAwait(false);
        var root = json.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new PatroniApiException($"{node} is not a Patroni REST API: GET /config is not an object", PatroniFailure.NotPatroni);
        }

        var strict = Bool(root, "synchronous_mode_strict") == true;
        var mode = root.TryGetProperty("synchronous_mode", out var sync) ? sync switch
        {
            { ValueKind: JsonValueKind.True } => strict ? "strict" : "on",
            { ValueKind: JsonValueKind.String } s when s.GetString() is "quorum" => "quorum",
            { ValueKind: JsonValueKind.String } s when s.GetString() is "on" or "true" => strict ? "strict" : "on",
            _ => "off",
        } : "off";
        return new PatroniDynamicConfig((int?)Long(root, "ttl"), (int?)Long(root, "loop_wait"), (int?)Long(root, "retry_timeout"),
            Long(root, "maximum_lag_on_failover"), mode, Bool(root, "failsafe_mode") == true);
    }

    /// <summary><c>GET /metrics</c>: the node's Prometheus text.</summary>
    public async Task<string> GetMetricsAsync(Uri node, CancellationToken ct) =>
        await SendAsync(node, "metrics", () => new HttpRequestMessage(HttpMethod.Get, new Uri(node, "metrics")), _timeout, ct).ConfigureAwait(false);

    /// <summary><c>GET /cluster</c> from whichever of <see cref="Nodes"/> answers.</summary>
    public Task<PatroniClusterView> GetClusterAsync(CancellationToken ct) => FromAnyAsync("cluster", GetClusterAsync, ct);

    /// <summary><c>GET /config</c> from whichever of <see cref="Nodes"/> answers.</summary>
    public Task<PatroniDynamicConfig> GetConfigAsync(CancellationToken ct) => FromAnyAsync("config", GetConfigAsync, ct);

    /// <summary>The view of the node among <see cref="Nodes"/> that is a running primary by its own account; null if none.</summary>
    public async Task<PatroniNodeStatus?> GetPrimaryStatusAsync(CancellationToken ct)
    {
        var views = await Task.WhenAll(Nodes.Select(async node =>
        {
            try
            {
                return await GetNodeAsync(node, ct).ConfigureAwait(false);
            }
            catch (PatroniApiException)
            {
                return null;
            }
        })).ConfigureAwait(false);
        return views.FirstOrDefault(v => v is { IsPrimary: true });
    }

    /// <summary>
    /// Maintenance mode on or off (<c>PATCH /config</c> with <c>{"pause": true}</c> or <c>null</c>, basic auth), as
    /// <c>patronictl pause</c> and <c>resume</c> do, through the first of <see cref="Nodes"/> that answers.
    /// </summary>
    public async Task SetMaintenanceModeAsync(bool paused, CancellationToken ct)
    {
        var body = paused ? "{\"pause\":true}" : "{\"pause\":null}";
        PatroniApiException? last = null;
        foreach (var node in Ordered())
        {
            try
            {
                await SendAsync(node, "config", () => Authorized(new HttpRequestMessage(HttpMethod.Patch, new Uri(node, "config"))
                {
                    Content = new StringContent(body, Encoding.UTF8, "application/json"),
                }), _timeout * 4, ct).ConfigureAwait(false);
                return;
            }
            catch (PatroniApiException ex) when (ex.Failure == PatroniFailure.Unreachable)
            {
                last = ex;
            }
        }

        throw new PatroniApiException($"no Patroni node accepted PATCH /config ({last?.Message})", PatroniFailure.Unreachable, last);
    }

    /// <summary>
    /// <c>POST /switchover</c> (basic auth) through the first of <see cref="Nodes"/> that answers: Patroni moves the
    /// leader lock and answers when done. Returns Patroni's message.
    /// </summary>
    public async Task<string> SwitchoverAsync(string leader, string? candidate, CancellationToken ct)
    {
        var body = JsonSerializer.Serialize(candidate is null
            ? new Dictionary<string, string> { ["leader"] = leader }
            : new Dictionary<string, string> { ["leader"] = leader, ["candidate"] = candidate });
        PatroniApiException? last = null;
        foreach (var node in Ordered())
        {
            try
            {
                return await SendAsync(node, "switchover", () => Authorized(new HttpRequestMessage(HttpMethod.Post, new Uri(node, "switchover"))
                {
                    Content = new StringContent(body, Encoding.UTF8, "application/json"),
                }), SwitchoverTimeout, ct).ConfigureAwait(false);
            }
            catch (PatroniApiException ex) when (ex.Failure == PatroniFailure.Unreachable)
            {
                last = ex;
            }
        }

        throw new PatroniApiException($"no Patroni node accepted POST /switchover ({last?.Message})", PatroniFailure.Unreachable, last);
    }

    /// <summary>The innermost messages of an exception chain, on one line.</summary>
    public static string OneLine(Exception ex)
    {
        ArgumentNullException.ThrowIfNull(ex);
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

    private async Task<T> FromAnyAsync<T>(string path, Func<Uri, CancellationToken, Task<T>> read, CancellationToken ct)
    {
        if (Nodes.Count == 0)
        {
            throw new InvalidOperationException("This Patroni client was created without node URLs.");
        }

        PatroniApiException? last = null;
        var start = _preferred;
        for (var i = 0; i < Nodes.Count; i++)
        {
            var index = (start + i) % Nodes.Count;
            try
            {
                var result = await read(Nodes[index], ct).ConfigureAwait(false);
                _preferred = index;
                return result;
            }
            catch (PatroniApiException ex) when (ex.Failure == PatroniFailure.Unreachable)
            {
                last = ex;
            }
        }

        throw new PatroniApiException($"no Patroni REST API answered GET /{path} at {string.Join(", ", Nodes)} ({last?.Message})",
            PatroniFailure.Unreachable, last);
    }

    /// <summary>Adds the REST credentials (basic auth), when this client has them, to an unsafe request.</summary>
    private HttpRequestMessage Authorized(HttpRequestMessage request)
    {
        if (credentials is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic",
                Convert.ToBase64String(Encoding.UTF8.GetBytes($"{credentials.User}:{credentials.Password}")));
        }

        return request;
    }

    private IEnumerable<Uri> Ordered() => Nodes.Skip(_preferred).Concat(Nodes.Take(_preferred));

    private async Task<JsonDocument> GetJsonAsync(Uri node, string path, CancellationToken ct)
    {
        var text = await SendAsync(node, path, () => new HttpRequestMessage(HttpMethod.Get, new Uri(node, path)), _timeout, ct).ConfigureAwait(false);
        try
        {
            return JsonDocument.Parse(text);
        }
        catch (JsonException)
        {
            throw new PatroniApiException($"{node} is not a Patroni REST API: GET /{path} did not return JSON", PatroniFailure.NotPatroni);
        }
    }

    private async Task<string> SendAsync(Uri node, string path, Func<HttpRequestMessage> request, TimeSpan timeout, CancellationToken ct)
    {
        using var timeoutCts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeoutCts.CancelAfter(timeout);
        using var message = request();
        try
        {
            using var response = await http.SendAsync(message, HttpCompletionOption.ResponseContentRead, timeoutCts.Token).ConfigureAwait(false);
            var text = await response.Content.ReadAsStringAsync(timeoutCts.Token).ConfigureAwait(false);
            if (response.IsSuccessStatusCode)
            {
                return text;
            }

            var said = text.Trim().ReplaceLineEndings(" ");
            var verb = $"{message.Method} /{path}";
            // Patroni answers these paths with 2xx; 401/403 and a refused switchover (412, 503) are Patroni saying no.
            throw (int)response.StatusCode is 401 or 403 or 412 or 503 && message.Method != HttpMethod.Get
                ? new PatroniApiException($"{node}: Patroni refused {verb} ({(int)response.StatusCode}): {said}", PatroniFailure.Refused)
                : new PatroniApiException($"{node} is not a Patroni REST API: {verb} answered {(int)response.StatusCode} {response.ReasonPhrase}", PatroniFailure.NotPatroni);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new PatroniApiException($"{node}: no answer within {timeout.TotalSeconds:0.#} s", PatroniFailure.Unreachable);
        }
        catch (HttpRequestException ex)
        {
            throw new PatroniApiException($"{node}: {OneLine(ex)}", PatroniFailure.Unreachable, ex);
        }
    }

    private static JsonElement Obj(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Object ? v : default;

    private static string? Str(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) ? v.ValueKind switch
        {
            JsonValueKind.String => v.GetString(),
            JsonValueKind.Number => v.GetRawText(),
            _ => null,
        } : null;

    private static long? Long(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var n) ? n : null;

    private static bool? Bool(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean() : null;
}

/// <summary>The REST API's basic-auth user for unsafe methods (Patroni's <c>restapi.authentication</c>).</summary>
public sealed record PatroniCredentials(string User, string Password)
{
    /// <summary>The user, never the password.</summary>
    public override string ToString() => $"{User}:***";
}
