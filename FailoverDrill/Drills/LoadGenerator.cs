using System.Diagnostics;
using Npgsql;

namespace HaStack.FailoverDrill.Drills;

/// <summary>
/// Writers that insert numbered rows through each client path and record every outcome in a <see cref="WriteLedger"/>.
/// A write is acknowledged only when the server confirmed its commit and said nothing about it being unreplicated.
/// </summary>
public sealed class LoadGenerator : IAsyncDisposable
{
    public const string Table = "hastack_drill_writes";

    private readonly string _runId;
    private readonly WriteLedger _ledger;
    private readonly Stopwatch _clock;
    private readonly DrillSettings _settings;
    private readonly IReadOnlyList<(string Path, NpgsqlDataSource Source)> _paths;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _writers = [];
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, TimeSpan> _timeouts;

    public LoadGenerator(string runId, WriteLedger ledger, Stopwatch clock, DrillSettings settings, IReadOnlyList<(string Path, NpgsqlDataSource Source)> paths)
    {
        _runId = runId;
        _ledger = ledger;
        _clock = clock;
        _settings = settings;
        _paths = paths;
        _timeouts = new();
    }

    /// <summary>
    /// From now on, writes on <paramref name="path"/> wait up to <paramref name="timeout"/> (null: back to
    /// <see cref="DrillSettings.WriteTimeout"/>); see <see cref="DrillSettings.PooledWriteTimeout"/>.
    /// </summary>
    public void SetTimeout(string path, TimeSpan? timeout)
    {
        if (timeout is { } value)
        {
            _timeouts[path] = value;
        }
        else
        {
            _timeouts.TryRemove(path, out _);
        }
    }

    /// <summary>How long one write's command on <paramref name="path"/> may take.</summary>
    private TimeSpan TimeoutOf(string path) => _timeouts.GetValueOrDefault(path, _settings.WriteTimeout);

    /// <summary>A data source for a client path: multi-host strings follow the primary, as applications would.</summary>
    public static NpgsqlDataSource CreateDataSource(string connectionString, DrillSettings settings)
    {
        var builder = Configure(new NpgsqlConnectionStringBuilder(connectionString), settings);
        var dataSource = new NpgsqlDataSourceBuilder(builder.ConnectionString);
        return builder.Host?.Contains(',', StringComparison.Ordinal) == true
            ? dataSource.BuildMultiHost().WithTargetSession(TargetSessionAttributes.Primary)
            : dataSource.Build();
    }

    /// <summary>
    /// What a writer's connections are: a write gives up after <see cref="DrillSettings.WriteTimeout"/> (a path given
    /// a longer wait sets it on its commands), a connect after at most 5 s per host, so a multi-host path moves on
    /// from a dead node.
    /// </summary>
    public static NpgsqlConnectionStringBuilder Configure(NpgsqlConnectionStringBuilder builder, DrillSettings settings)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(settings);
        builder.CommandTimeout = Math.Max(1, (int)Math.Ceiling(settings.WriteTimeout.TotalSeconds));
        builder.Timeout = Math.Max(1, Math.Min(5, (int)Math.Ceiling(settings.WriteTimeout.TotalSeconds)));
        builder.ApplicationName = "hastack-failoverdrill";
        return builder;
    }

    /// <summary>The drill table: no unique key on purpose, so duplicates stay visible to the checker.</summary>
    public static async Task EnsureTableAsync(NpgsqlDataSource source, CancellationToken ct)
    {
        await using var command = source.CreateCommand(
            $"CREATE TABLE IF NOT EXISTS {Table} (run_id text NOT NULL, path text NOT NULL, seq bigint NOT NULL, written_at timestamptz NOT NULL DEFAULT clock_timestamp());" +
            $"CREATE INDEX IF NOT EXISTS {Table}_run ON {Table} (run_id)");
        await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    public void Start()
    {
        foreach (var (path, source) in _paths)
        {
            for (var i = 0; i < _settings.WritersPerPath; i++)
            {
                _writers.Add(Task.Run(() => WriteLoopAsync(path, source, _stop.Token)));
            }
        }
    }

    public async Task StopAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(_writers).ConfigureAwait(false);
    }

    private async Task WriteLoopAsync(string path, NpgsqlDataSource source, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            var record = await WriteOnceAsync(path, source).ConfigureAwait(false);
            _ledger.Record(record);
            try
            {
                // Back off a little after a failure: a refused connection returns at once.
                await Task.Delay(record.Outcome == WriteOutcome.Acknowledged ? _settings.WriteInterval : _settings.WriteInterval * 3, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>
    /// One write. Its own timeout (never the stop token) bounds it, so stopping the load never turns a write in
    /// flight into a false "unknown".
    /// </summary>
    private async Task<WriteRecord> WriteOnceAsync(string path, NpgsqlDataSource source)
    {
        var seq = _ledger.NextSeq(path);
        var started = _clock.Elapsed;
        var timeout = TimeoutOf(path);
        NpgsqlConnection connection;
        try
        {
            connection = await source.OpenConnectionAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException or InvalidOperationException or System.Net.Sockets.SocketException)
        {
            // Nothing was sent: the write definitely did not happen.
            return new WriteRecord(path, seq, WriteOutcome.Failed, started, _clock.Elapsed, Error: Describe(ex));
        }

        await using (connection.ConfigureAwait(false))
        {
            string? replicationWarning = null;
            void OnNotice(object sender, NpgsqlNoticeEventArgs e)
            {
                // "The transaction has already committed locally, but might not have been replicated": not an ack.
                if (e.Notice.MessageText.Contains("synchronous replication", StringComparison.OrdinalIgnoreCase)
                    || (e.Notice.Detail?.Contains("committed locally", StringComparison.OrdinalIgnoreCase) ?? false))
                {
                    replicationWarning = e.Notice.MessageText;
                }
            }

            connection.Notice += OnNotice;
            try
            {
                await using var command = new NpgsqlCommand($"INSERT INTO {Table} (run_id, path, seq) VALUES ($1, $2, $3) RETURNING inet_server_addr()::text", connection)
                {
                    CommandTimeout = Math.Max(1, (int)Math.Ceiling(timeout.TotalSeconds)),
                };
                command.Parameters.Add(new NpgsqlParameter { Value = _runId });
                command.Parameters.Add(new NpgsqlParameter { Value = path });
                command.Parameters.Add(new NpgsqlParameter { Value = seq });
                var server = await command.ExecuteScalarAsync().ConfigureAwait(false) as string;
                return replicationWarning is null
                    ? new WriteRecord(path, seq, WriteOutcome.Acknowledged, started, _clock.Elapsed, server ?? "local")
                    : new WriteRecord(path, seq, WriteOutcome.Unknown, started, _clock.Elapsed, Error: replicationWarning);
            }
            catch (PostgresException ex) when (ex.Severity is "ERROR" && !IsOutcomeUncertain(ex.SqlState))
            {
                // The server rejected the statement (e.g. read-only after demotion): rolled back.
                return new WriteRecord(path, seq, WriteOutcome.Failed, started, _clock.Elapsed, Error: Describe(ex));
            }
            catch (Exception ex) when (ex is NpgsqlException or TimeoutException or InvalidOperationException or IOException or OperationCanceledException)
            {
                // Sent, then the connection broke, timed out or the server died mid-commit: outcome unknown.
                return new WriteRecord(path, seq, WriteOutcome.Unknown, started, _clock.Elapsed, Error: Describe(ex));
            }
            finally
            {
                connection.Notice -= OnNotice;
            }
        }
    }

    /// <summary>
    /// Connection errors (08), operator intervention (57: shutdown, cancel of a sync-rep wait), resource and system
    /// errors (53, 58, XX) can follow a local commit.
    /// </summary>
    private static bool IsOutcomeUncertain(string sqlState) =>
        sqlState.StartsWith("08", StringComparison.Ordinal) || sqlState.StartsWith("57", StringComparison.Ordinal)
        || sqlState.StartsWith("53", StringComparison.Ordinal) || sqlState.StartsWith("58", StringComparison.Ordinal)
        || sqlState.StartsWith("XX", StringComparison.Ordinal);

    private static string Describe(Exception ex) => ex is PostgresException pg ? $"{pg.SqlState}: {pg.MessageText}" : ex.GetBaseException().Message;

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            await StopAsync().ConfigureAwait(false);
        }

        _stop.Dispose();
    }
}
