using System.Text.Json;

namespace HaStack.FailoverDrill.Drills;

/// <summary>etcd as its read-only metrics port shows it: <c>/health</c> (true only with quorum) and <c>etcd_server_is_leader</c>.</summary>
internal static class EtcdHealth
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(2);

    /// <summary>The members whose <c>/health</c> does not say <c>true</c> (down, or without quorum).</summary>
    public static async Task<IReadOnlyList<string>> UnhealthyAsync(HttpClient http, IReadOnlyDictionary<string, Uri> members, CancellationToken ct)
    {
        var unhealthy = new List<string>();
        foreach (var (name, url) in members.OrderBy(m => m.Key, StringComparer.Ordinal))
        {
            if (!await IsHealthyAsync(http, url, ct).ConfigureAwait(false))
            {
                unhealthy.Add(name);
            }
        }

        return unhealthy;
    }

    /// <summary>The member whose metrics say it leads, or null.</summary>
    public static async Task<string?> FindLeaderAsync(HttpClient http, IReadOnlyDictionary<string, Uri> members, CancellationToken ct)
    {
        foreach (var (name, url) in members.OrderBy(m => m.Key, StringComparer.Ordinal))
        {
            var metrics = await GetAsync(http, new Uri(url, "metrics"), ct).ConfigureAwait(false);
            if (metrics?.Split('\n').Any(l => l.Trim() == "etcd_server_is_leader 1") == true)
            {
                return name;
            }
        }

        return null;
    }

    private static async Task<bool> IsHealthyAsync(HttpClient http, Uri url, CancellationToken ct)
    {
        var body = await GetAsync(http, new Uri(url, "health"), ct).ConfigureAwait(false);
        try
        {
            return body is not null && JsonDocument.Parse(body).RootElement.TryGetProperty("health", out var health) && health.GetString() == "true";
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static async Task<string?> GetAsync(HttpClient http, Uri url, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(s_timeout);
        try
        {
            using var response = await http.GetAsync(url, timeout.Token).ConfigureAwait(false);
            return response.IsSuccessStatusCode ? await response.Content.ReadAsStringAsync(timeout.Token).ConfigureAwait(false) : null;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            return null;
        }
    }
}
