using System.Collections.Concurrent;
using HaStack.HealthProbe.Model;
using Npgsql;

namespace HaStack.HealthProbe.Probing;

/// <summary>What one member's PostgreSQL says about itself (one round trip, see <see cref="PostgresInspector"/>).</summary>
public sealed record SqlView(
    bool InRecovery,
    string? CurrentLsn,
    string? ReceiveLsn,
    string? ReplayLsn,
    bool? ReplayPaused,
    double? ReplayAgeSeconds,
    bool ReceivedEqualsReplayed,
    string? ApplicationName,
    IReadOnlyList<StandbyStatus> Standbys,
    IReadOnlyList<SlotStatus> Slots,
    ArchiveStatus? Archive = null);

/// <summary>
/// Asks a member's PostgreSQL for its replication state in one batch: recovery state and LSNs, its standbys
/// (<c>pg_stat_replication</c>, empty on a replica) and its replication slots. Connections are pooled per member so a
/// one-second probe does not pay a SCRAM login every cycle.
/// </summary>
public sealed class PostgresInspector(TimeSpan timeout) : IAsyncDisposable
{
    private const string StatusSql = """
        SELECT pg_is_in_recovery(),
               CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_current_wal_lsn()::text END,
               pg_last_wal_receive_lsn()::text,
               pg_last_wal_replay_lsn()::text,
               CASE WHEN pg_is_in_recovery() THEN pg_is_wal_replay_paused() END,
               CASE WHEN pg_is_in_recovery() THEN EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp())::float8 END,
               pg_last_wal_receive_lsn() IS NOT DISTINCT FROM pg_last_wal_replay_lsn(),
               CASE WHEN pg_is_in_recovery() THEN substring(current_setting('primary_conninfo') from 'application_name=''?([^'' ]+)') END
        """;

    private const string StandbysSql = """
        SELECT application_name, client_addr::text, state, sync_state,
               pg_wal_lsn_diff(pg_current_wal_lsn(), write_lsn)::bigint,
               pg_wal_lsn_diff(pg_current_wal_lsn(), flush_lsn)::bigint,
               pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::bigint,
               EXTRACT(EPOCH FROM write_lag)::float8,
               EXTRACT(EPOCH FROM flush_lag)::float8,
               EXTRACT(EPOCH FROM replay_lag)::float8
        FROM pg_stat_replication r WHERE NOT pg_is_in_recovery()
          -- Standbys only: a logical consumer (CDC on a failover slot) streams too, but is no copy of the cluster.
          AND NOT EXISTS (SELECT FROM pg_replication_slots s WHERE s.active_pid = r.pid AND s.slot_type = 'logical')
        """;

    private const string SlotsSql = """
        SELECT slot_name, slot_type, active,
               CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::bigint END
        FROM pg_replication_slots
        """;

    // Only a primary archives (archive_mode on): no row on a replica.
    private const string ArchiverSql = """
        SELECT archived_count, last_archived_wal, last_archived_time, failed_count, last_failed_wal, last_failed_time
        FROM pg_stat_archiver WHERE NOT pg_is_in_recovery()
        """;

    private readonly ConcurrentDictionary<string, NpgsqlDataSource> _sources = new();

    public async Task<SqlView> InspectAsync(string connectionString, CancellationToken ct, NpgsqlDataSource? dataSource = null)
    {
        var source = dataSource ?? _sources.GetOrAdd(connectionString, cs => NpgsqlDataSource.Create(Configure(new NpgsqlConnectionStringBuilder(cs), timeout)));
        using var timeoutCts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeoutCts.CancelAfter(timeout);
        try
        {
            await using var connection = await source.OpenConnectionAsync(timeoutCts.Token).ConfigureAwait(false);
            await using var batch = new NpgsqlBatch(connection)
            {
                BatchCommands = { new(StatusSql), new(StandbysSql), new(SlotsSql), new(ArchiverSql) },
            };
            await using var reader = await batch.ExecuteReaderAsync(timeoutCts.Token).ConfigureAwait(false);
            await reader.ReadAsync(timeoutCts.Token).ConfigureAwait(false);
            var inRecovery = reader.GetBoolean(0);
            string? Text(int i) => reader.IsDBNull(i) ? null : reader.GetString(i);
            var status = (
                InRecovery: inRecovery, Current: Text(1), Receive: Text(2), Replay: Text(3),
                Paused: reader.IsDBNull(4) ? (bool?)null : reader.GetBoolean(4),
                Age: reader.IsDBNull(5) ? (double?)null : reader.GetDouble(5),
                Same: !reader.IsDBNull(6) && reader.GetBoolean(6),
                AppName: Text(7));

            await reader.NextResultAsync(timeoutCts.Token).ConfigureAwait(false);
            var standbys = new List<StandbyStatus>();
            while (await reader.ReadAsync(timeoutCts.Token).ConfigureAwait(false))
            {
                standbys.Add(new StandbyStatus(
                    reader.IsDBNull(0) ? "?" : reader.GetString(0), Text(1), reader.IsDBNull(2) ? "?" : reader.GetString(2),
                    reader.IsDBNull(3) ? "?" : reader.GetString(3),
                    NullableLong(reader, 4), NullableLong(reader, 5), NullableLong(reader, 6),
                    NullableDouble(reader, 7), NullableDouble(reader, 8), NullableDouble(reader, 9)));
            }

            await reader.NextResultAsync(timeoutCts.Token).ConfigureAwait(false);
            var slots = new List<SlotStatus>();
            while (await reader.ReadAsync(timeoutCts.Token).ConfigureAwait(false))
            {
                slots.Add(new SlotStatus(reader.GetString(0), reader.IsDBNull(1) ? "?" : reader.GetString(1), reader.GetBoolean(2), NullableLong(reader, 3)));
            }

            await reader.NextResultAsync(timeoutCts.Token).ConfigureAwait(false);
            ArchiveStatus? archive = null;
            if (await reader.ReadAsync(timeoutCts.Token).ConfigureAwait(false))
            {
                DateTimeOffset? Time(int i) => reader.IsDBNull(i) ? null : reader.GetFieldValue<DateTimeOffset>(i);
                archive = new ArchiveStatus(reader.GetInt64(0), Text(1), Time(2), reader.GetInt64(3), Text(4), Time(5));
            }

            return new SqlView(status.InRecovery, status.Current, status.Receive, status.Replay, status.Paused, status.Age, status.Same,
                status.AppName, standbys, slots, archive);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new ProbeTargetException($"{Describe(connectionString)}: no answer within {timeout.TotalSeconds:0.#} s");
        }
        catch (PostgresException ex) when (ex.SqlState is PostgresErrorCodes.InvalidPassword or PostgresErrorCodes.InvalidAuthorizationSpecification
                                               or PostgresErrorCodes.InvalidCatalogName or PostgresErrorCodes.InsufficientPrivilege)
        {
            throw new ProbeTargetException($"{Describe(connectionString)}: {ex.MessageText}", misconfigured: true, ex);
        }
        catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException or TimeoutException or System.Net.Sockets.SocketException)
        {
            throw new ProbeTargetException($"{Describe(connectionString)}: {PatroniClient.OneLine(ex)}", inner: ex);
        }
    }

    /// <summary>What the probe's connections to a member are: short timeouts, two at most, none kept long.</summary>
    public static NpgsqlConnectionStringBuilder Configure(NpgsqlConnectionStringBuilder builder, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var seconds = Math.Max(1, (int)Math.Ceiling(timeout.TotalSeconds));
        builder.Timeout = seconds;
        builder.CommandTimeout = seconds;
        builder.ApplicationName = "hastack-healthprobe";
        builder.MaxPoolSize = 2;
        // A member restarted by Patroni leaves dead connections in the pool; do not keep them long.
        builder.ConnectionIdleLifetime = 10;
        return builder;
    }

    /// <summary><c>user@host:port</c>, never the password.</summary>
    public static string Describe(string connectionString)
    {
        try
        {
            var b = new NpgsqlConnectionStringBuilder(connectionString);
            var host = b.Host is { } h && h.Contains(':', StringComparison.Ordinal) ? h : $"{b.Host}:{b.Port}";
            return $"postgres://{b.Username}@{host}";
        }
        catch (ArgumentException)
        {
            return "postgres (invalid connection string)";
        }
    }

    private static long? NullableLong(NpgsqlDataReader reader, int i) => reader.IsDBNull(i) ? null : reader.GetInt64(i);

    private static double? NullableDouble(NpgsqlDataReader reader, int i) => reader.IsDBNull(i) ? null : reader.GetDouble(i);

    public async ValueTask DisposeAsync()
    {
        foreach (var source in _sources.Values)
        {
            await source.DisposeAsync().ConfigureAwait(false);
        }

        _sources.Clear();
    }
}
