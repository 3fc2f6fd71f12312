using System.Globalization;
using HaStack.HealthProbe.Model;
using Npgsql;

namespace HaStack.HealthProbe.Probing;

/// <summary>
/// Reads <c>SHOW POOLS</c> from PgBouncer's admin console (database <c>pgbouncer</c>) over one kept connection,
/// reconnecting after a failure. The console speaks only the simple query protocol: see <see cref="SimpleQueryClient"/>.
/// </summary>
public sealed class PgBouncerInspector(string adminConnectionString, TimeSpan timeout) : IAsyncDisposable
{
    private readonly NpgsqlConnectionStringBuilder _admin = new(adminConnectionString);
    private SimpleQueryClient? _client;

    public async Task<PgBouncerStatus> InspectAsync(CancellationToken ct)
    {
        using var timeoutCts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeoutCts.CancelAfter(timeout);
        try
        {
            _client ??= await SimpleQueryClient.ConnectAsync(_admin.Host ?? "localhost", _admin.Port, _admin.Username ?? "pgbouncer",
                _admin.Password, _admin.Database ?? "pgbouncer", timeoutCts.Token).ConfigureAwait(false);
            var rows = await _client.QueryAsync("SHOW POOLS", timeoutCts.Token).ConfigureAwait(false);
            var pools = rows.Select(r =>
            {
                int Int(string column) => r.TryGetValue(column, out var v) && int.TryParse(v, CultureInfo.InvariantCulture, out var n) ? n : 0;
                return new PoolStatus(r.GetValueOrDefault("database") ?? "?", r.GetValueOrDefault("user") ?? "?",
                    Int("cl_active"), Int("cl_waiting"), Int("sv_active"), Int("sv_idle"), Int("sv_used"),
                    Int("maxwait") + Int("maxwait_us") / 1_000_000.0);
            }).ToList();
            return new PgBouncerStatus(true, pools, null);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            await ResetAsync().ConfigureAwait(false);
            return new PgBouncerStatus(false, [], $"{Where}: no answer within {timeout.TotalSeconds:0.#} s");
        }
        catch (Exception ex) when (ex is SimpleQueryException or IOException or System.Net.Sockets.SocketException or ArgumentException)
        {
            await ResetAsync().ConfigureAwait(false);
            return new PgBouncerStatus(false, [], $"{Where}: {PatroniClient.OneLine(ex)}");
        }
    }

    private string Where => $"{_admin.Username}@{_admin.Host}:{_admin.Port}";

    private async Task ResetAsync()
    {
        if (_client is { } client)
        {
            _client = null;
            await client.DisposeAsync().ConfigureAwait(false);
        }
    }

    public ValueTask DisposeAsync() => new(ResetAsync());
}

/// <summary>Asks each etcd member's <c>/health</c>: true only while the member sees a raft leader.</summary>
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
