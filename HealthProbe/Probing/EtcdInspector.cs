using HaStack.HealthProbe.Model;

namespace HaStack.HealthProbe.Probing;

/// <summary>Asks each etcd member's <c>/health</c> (its read-only metrics port): true only while the member sees a raft leader.</summary>
public sealed class EtcdInspector(HttpClient http, TimeSpan timeout)
{
    public async Task<EtcdStatus> InspectAsync(IReadOnlyList<(string Name, Uri Url)> members, CancellationToken ct)
    {
        var results = await Task.WhenAll(members.Select(m => CheckAsync(m.Name, m.Url, ct))).ConfigureAwait(false);
        return new EtcdStatus(results);
    }

    private async Task<EtcdMemberStatus> CheckAsync(string name, Uri url, CancellationToken ct)
    {
        using var timeoutCts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeoutCts.CancelAfter(timeout);
        try
        {
            using var response = await http.GetAsync(new Uri(url, "health"), timeoutCts.Token).ConfigureAwait(false);
            var body = await response.Content.ReadAsStringAsync(timeoutCts.Token).ConfigureAwait(false);
            return response.IsSuccessStatusCode && body.Contains("\"true\"", StringComparison.Ordinal)
                ? new EtcdMemberStatus(name, true, null)
                : new EtcdMemberStatus(name, false, $"/health answered {(int)response.StatusCode}: {body.Trim()}");
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return new EtcdMemberStatus(name, false, $"no answer within {timeout.TotalSeconds:0.#} s");
        }
        catch (HttpRequestException ex)
        {
            return new EtcdMemberStatus(name, false, PatroniClient.OneLine(ex));
        }
    }
}
