using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Serialization;

namespace HaStack.Testing;

/// <summary>A member as Patroni's <c>GET /cluster</c> reports it.</summary>
public sealed record PatroniMember(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("role")] string Role,
    [property: JsonPropertyName("state")] string State,
    [property: JsonPropertyName("timeline")] long? Timeline,
    [property: JsonPropertyName("lag")] object? Lag)
{
    public bool IsLeader => Role == "leader";
}

public sealed record PatroniClusterState([property: JsonPropertyName("members")] List<PatroniMember> Members)
{
    public PatroniMember? Leader => Members.SingleOrDefault(m => m.IsLeader);
}

/// <summary>The bits of Patroni's REST API the tests use, over the nodes' host-side endpoints.</summary>
public sealed class PatroniApi(IReadOnlyDictionary<string, Uri> nodes, string restUser, string restPassword) : IDisposable
{
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(3) };

    public IReadOnlyDictionary<string, Uri> Nodes => nodes;

    /// <summary><c>GET /cluster</c> from the first node that answers.</summary>
    public async Task<PatroniClusterState> GetClusterAsync(CancellationToken ct)
    {
        Exception? last = null;
        foreach (var url in nodes.Values)
        {
            try
            {
                return await _http.GetFromJsonAsync<PatroniClusterState>(new Uri(url, "/cluster"), ct)
                       ?? throw new InvalidOperationException("empty /cluster");
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
            {
                last = ex;
            }
        }

        throw new InvalidOperationException("No Patroni node answered /cluster", last);
    }

    /// <summary><c>GET /patroni</c> of one node: its own view (role, state, timeline, replication list on a leader).</summary>
    public async Task<System.Text.Json.JsonElement> GetNodeStatusAsync(string node, CancellationToken ct) =>
        await _http.GetFromJsonAsync<System.Text.Json.JsonElement>(new Uri(nodes[node], "/patroni"), ct);

    /// <summary><c>GET /config</c> of one node: the dynamic configuration in etcd (ttl, loop_wait, retry_timeout, modes).</summary>
    public async Task<System.Text.Json.JsonElement> GetConfigAsync(string node, CancellationToken ct) =>
        await _http.GetFromJsonAsync<System.Text.Json.JsonElement>(new Uri(nodes[node], "/config"), ct);

    /// <summary><c>POST /switchover</c> (authenticated): a planned move of the leader lock.</summary>
    public async Task SwitchoverAsync(string leader, string? candidate, CancellationToken ct)
    {
        var body = candidate is null ? $"{{\"leader\":\"{leader}\"}}" : $"{{\"leader\":\"{leader}\",\"candidate\":\"{candidate}\"}}";
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(nodes[leader], "/switchover"))
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{restUser}:{restPassword}")));
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        using var response = await http.SendAsync(request, ct);
        var text = await response.Content.ReadAsStringAsync(ct);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"Switchover refused ({(int)response.StatusCode}): {text}");
        }
    }

    public void Dispose() => _http.Dispose();
}
