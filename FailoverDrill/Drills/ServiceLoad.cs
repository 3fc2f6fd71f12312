using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using Npgsql;

namespace HaStack.FailoverDrill.Drills;

/// <summary>
/// The service path: concurrent callers of the measured service (<see cref="ServiceTarget"/>), as its own clients would
/// call it. Each write is numbered in the drill's <see cref="WriteLedger"/> (path <c>service</c>) with what the caller
/// was told: acknowledged (2xx with the new row's id), failed (a 4xx refusal, or no connection: nothing was sent) or
/// unknown (a 5xx, a timeout, or the connection lost after sending). Each acknowledged write is read back through the
/// service.
/// </summary>
/// <remarks>
/// A 5xx says that the service failed, not that the write did not happen: the commit may have reached the database
/// before the service lost its answer. Like a timeout, it is indeterminate (Jepsen's <c>:info</c>), so it is recorded
/// as unknown with its status, and a stored one is no lie (<see cref="IsServerError"/>; the report counts them as
/// stored despite the error, the writes a retrying client would make twice). A 4xx is a refusal: a refused write that
/// is stored afterwards is one the service lied about.
/// </remarks>
internal sealed class ServiceLoad : IAsyncDisposable
{
    private readonly ServiceTarget _service;
    private readonly HttpClient _http;
    private readonly WriteLedger _ledger;
    private readonly Stopwatch _clock;
    private readonly DrillSettings _settings;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _callers = [];
    private readonly ConcurrentDictionary<string, long> _keys = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<long, string> _keyOf = new();
    private readonly ConcurrentDictionary<long, string> _idOf = new();
    private int _readsOk, _readsMissing, _readsFailed;

    public ServiceLoad(ServiceTarget service, HttpClient http, WriteLedger ledger, Stopwatch clock, DrillSettings settings)
    {
        _service = service;
        _http = http;
        _ledger = ledger;
        _clock = clock;
        _settings = settings;
    }

    /// <summary>Reads back through the service: found, answered 404, or failed otherwise.</summary>
    public ServiceReads Reads => new(_readsOk, _readsMissing, _readsFailed);

    /// <summary>A write as the service's clients know it: the key it carried (what the database is searched for) and the id the service answered.</summary>
    public string Describe(long seq) => $"{ServiceTarget.PathName}#{seq} key {_keyOf.GetValueOrDefault(seq) ?? "?"} id {_idOf.GetValueOrDefault(seq) ?? "?"}";

    /// <summary>A write the service answered with a 5xx: recorded as unknown, reported among the failed by its status.</summary>
    public static bool IsServerError(WriteRecord record) =>
        record.Outcome == WriteOutcome.Unknown && record.Status is { Length: 3 } status && status[0] == '5';

    /// <summary>
    /// <paramref name="measured"/> with what only the check knows: the acknowledged writes the table lacks, the 5xx
    /// writes it holds all the same, and the reads back through the service.
    /// </summary>
    public ServiceReport Checked(ServiceReport measured, CheckResult check, IReadOnlyList<WriteRecord> records, IEnumerable<WriteKey> stored) => measured with
    {
        Lost = [.. check.Lost.Where(k => k.Path == ServiceTarget.PathName).Select(k => Describe(k.Seq))],
        StoredDespiteError = StoredDespiteError(records, stored),
        Reads = Reads,
    };

    /// <summary>The writes answered with a 5xx that <paramref name="stored"/> holds all the same, described: a client that retried them wrote them twice.</summary>
    private IReadOnlyList<string> StoredDespiteError(IReadOnlyList<WriteRecord> records, IEnumerable<WriteKey> stored)
    {
        var held = stored.Where(k => k.Path == ServiceTarget.PathName).Select(k => k.Seq).ToHashSet();
        return [.. records.Where(r => r.Path == ServiceTarget.PathName && IsServerError(r) && held.Contains(r.Seq)).OrderBy(r => r.Seq).Select(r => $"{Describe(r.Seq)} ({r.Status})")];
    }

    public void Start()
    {
        for (var i = 0; i < _settings.WritersPerPath; i++)
        {
            _callers.Add(Task.Run(() => CallLoopAsync(_stop.Token)));
        }
    }

    public async Task StopAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(_callers).ConfigureAwait(false);
    }

    /// <summary>
    /// <see cref="TryReadStoredAsync"/> until a primary answers: asked again while <paramref name="source"/> reaches a
    /// server in recovery or none at all, for at most <paramref name="timeout"/>.
    /// </summary>
    /// <exception cref="TimeoutException">No primary answered within <paramref name="timeout"/>.</exception>
    public async Task<List<WriteKey>> ReadStoredAsync(NpgsqlDataSource source, TimeSpan timeout, ILogger logger, CancellationToken ct)
    {
        List<WriteKey>? stored = null;
        await DrillPolling.WaitForAsync("reading the service's writes from a primary", timeout, async () =>
        {
            try
            {
                stored = await TryReadStoredAsync(source, ct).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is NpgsqlException or TimeoutException or IOException)
            {
                logger.LogDebug("Reading the service's writes failed: {Error}", ex.Message);
            }

            return stored is not null;
        }, ct).ConfigureAwait(false);
        return stored!;
    }

    /// <summary>
    /// The service's writes as the database stores them, read through <paramref name="source"/> (a primary): rows of the
    /// service's table whose key column holds a key this run sent, whatever the caller was told. Null while the source
    /// is not a primary.
    /// </summary>
    public async Task<List<WriteKey>?> TryReadStoredAsync(NpgsqlDataSource source, CancellationToken ct)
    {
        await using var connection = await source.OpenConnectionAsync(ct).ConfigureAwait(false);
        await using (var check = new NpgsqlCommand("SELECT pg_is_in_recovery()", connection))
        {
            if (await check.ExecuteScalarAsync(ct).ConfigureAwait(false) is true)
            {
                return null;
            }
        }

        // Table and column are plain names (ServiceTarget checks them); the keys are a parameter.
        await using var command = new NpgsqlCommand($"SELECT \"{_service.KeyColumn}\"::text FROM \"{_service.Table}\" WHERE \"{_service.KeyColumn}\"::text = ANY($1)", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = _keys.Keys.ToArray() });
        await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        var rows = new List<WriteKey>();
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            if (_keys.TryGetValue(reader.GetString(0), out var seq))
            {
                rows.Add(new WriteKey(ServiceTarget.PathName, seq));
            }
        }

        return rows;
    }

    /// <summary>
    /// One write, its read-back and its row, before any load: refuses the drill with the service's own answer when it
    /// cannot take a write (down, an error status, no id), and when the row is not where the drill will look for it
    /// (the table or key column agreed with the service is wrong), through <paramref name="connectionString"/>.
    /// </summary>
    public static async Task CheckAsync(ServiceTarget service, HttpClient http, string connectionString, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        var key = Guid.NewGuid().ToString();
        try
        {
            using var response = await SendWriteAsync(service, http, key, timeout.Token).ConfigureAwait(false);
            var text = await response.Content.ReadAsStringAsync(timeout.Token).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                throw new DrillRefusedException($"the service's {service.Write} answered {(int)response.StatusCode} {response.ReasonPhrase}: {Shorten(text)}");
            }

            var id = IdOf(text, service.IdProperty)
                     ?? throw new DrillRefusedException($"the service's {service.Write} answered {(int)response.StatusCode} without an '{service.IdProperty}': {Shorten(text)}");
            using var read = await http.GetAsync(ReadUri(service, id), timeout.Token).ConfigureAwait(false);
            if (!read.IsSuccessStatusCode)
            {
                throw new DrillRefusedException($"the service's {service.Read} answered {(int)read.StatusCode} {read.ReasonPhrase} for the write it had just acknowledged");
            }
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            throw new DrillRefusedException($"the service at {service.BaseUrl} does not answer {service.Write}: {ex.GetBaseException().Message}", ex);
        }

        try
        {
            var builder = new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false, Timeout = 5, CommandTimeout = 5 };
            await using var source = new NpgsqlDataSourceBuilder(builder.ConnectionString).BuildMultiHost().WithTargetSession(TargetSessionAttributes.Primary);
            await using var command = source.CreateCommand($"SELECT count(*) FROM \"{service.Table}\" WHERE \"{service.KeyColumn}\"::text = $1");
            command.Parameters.Add(new NpgsqlParameter { Value = key });
            if (await command.ExecuteScalarAsync(ct).ConfigureAwait(false) is not (long and > 0))
            {
                throw new DrillRefusedException($"the service acknowledged a write, but {service.Table}.{service.KeyColumn} holds no row with its key {key}: the drill could not check the service's writes");
            }
        }
        catch (PostgresException ex)
        {
            throw new DrillRefusedException($"the drill cannot look up the service's writes in {service.Table}.{service.KeyColumn}: {ex.SqlState}: {ex.MessageText}", ex);
        }
    }

    private async Task CallLoopAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            var record = await WriteOnceAsync().ConfigureAwait(false);
            _ledger.Record(record);
            try
            {
                await Task.Delay(record.Outcome == WriteOutcome.Acknowledged ? _settings.WriteInterval : _settings.WriteInterval * 3, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>One write, bounded by its own timeout (never the stop token: stopping never makes an "unknown").</summary>
    private async Task<WriteRecord> WriteOnceAsync()
    {
        var path = ServiceTarget.PathName;
        var seq = _ledger.NextSeq(path);
        var key = Guid.NewGuid().ToString();
        _keys[key] = seq;
        _keyOf[seq] = key;
        var started = _clock.Elapsed;
        using var timeout = new CancellationTokenSource(_settings.ServiceTimeout);
        string? id;
        try
        {
            using var response = await SendWriteAsync(_service, _http, key, timeout.Token).ConfigureAwait(false);
            var text = await response.Content.ReadAsStringAsync(timeout.Token).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                var status = (int)response.StatusCode;
                return new WriteRecord(path, seq, status >= 500 ? WriteOutcome.Unknown : WriteOutcome.Failed, started, _clock.Elapsed,
                    Error: $"{status} {Shorten(text)}", Status: status.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }

            id = IdOf(text, _service.IdProperty);
            if (id is null)
            {
                // A success without the id is no acknowledgement the caller could hold the service to.
                return new WriteRecord(path, seq, WriteOutcome.Unknown, started, _clock.Elapsed, Error: $"{(int)response.StatusCode} without '{_service.IdProperty}'", Status: "no-id");
            }
        }
        catch (HttpRequestException ex) when (ex.HttpRequestError == HttpRequestError.ConnectionError)
        {
            // No connection: nothing was sent.
            return new WriteRecord(path, seq, WriteOutcome.Failed, started, _clock.Elapsed, Error: ex.Message, Status: "connection");
        }
        catch (HttpRequestException ex)
        {
            return new WriteRecord(path, seq, WriteOutcome.Unknown, started, _clock.Elapsed, Error: ex.Message, Status: "broken");
        }
        catch (OperationCanceledException)
        {
            return new WriteRecord(path, seq, WriteOutcome.Unknown, started, _clock.Elapsed, Error: $"no answer within {_settings.ServiceTimeout.TotalSeconds:0} s", Status: "timeout");
        }

        var finished = _clock.Elapsed;
        await ReadBackAsync(id).ConfigureAwait(false);
        _idOf[seq] = id;
        return new WriteRecord(path, seq, WriteOutcome.Acknowledged, started, finished, Status: "ok");
    }

    private async Task ReadBackAsync(string id)
    {
        try
        {
            using var timeout = new CancellationTokenSource(_settings.ServiceTimeout);
            using var read = await _http.GetAsync(ReadUri(_service, id), timeout.Token).ConfigureAwait(false);
            if (read.IsSuccessStatusCode)
            {
                Interlocked.Increment(ref _readsOk);
            }
            else if (read.StatusCode == HttpStatusCode.NotFound)
            {
                Interlocked.Increment(ref _readsMissing);
            }
            else
            {
                Interlocked.Increment(ref _readsFailed);
            }
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException)
        {
            Interlocked.Increment(ref _readsFailed);
        }
    }

    private static Task<HttpResponseMessage> SendWriteAsync(ServiceTarget service, HttpClient http, string key, CancellationToken ct)
    {
        var request = new HttpRequestMessage(service.Write.Method, new Uri(service.BaseUrl, service.Write.Path.TrimStart('/')))
        {
            Content = new StringContent(service.Body.Replace("{key}", key, StringComparison.Ordinal), Encoding.UTF8, "application/json"),
        };
        return http.SendAsync(request, ct);
    }

    private static Uri ReadUri(ServiceTarget service, string id) =>
        new(service.BaseUrl, service.Read.Path.TrimStart('/').Replace("{id}", Uri.EscapeDataString(id), StringComparison.Ordinal));

    /// <summary>The id the service gave the new row: a number or a string property of its JSON answer.</summary>
    private static string? IdOf(string json, string property)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            return document.RootElement.ValueKind == JsonValueKind.Object
                   && document.RootElement.EnumerateObject().FirstOrDefault(p => string.Equals(p.Name, property, StringComparison.OrdinalIgnoreCase)) is { Value.ValueKind: JsonValueKind.Number or JsonValueKind.String } found
                ? found.Value.ToString()
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string Shorten(string text) => text.Length <= 200 ? text : text[..200] + "…";

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            await StopAsync().ConfigureAwait(false);
        }

        _stop.Dispose();
    }
}

/// <summary>Reads of acknowledged writes back through the service.</summary>
/// <param name="Found">Answered with the row.</param>
/// <param name="Missing">Answered 404 for a write it had acknowledged.</param>
/// <param name="Failed">Any other error, or no answer.</param>
public sealed record ServiceReads(int Found, int Missing, int Failed);
