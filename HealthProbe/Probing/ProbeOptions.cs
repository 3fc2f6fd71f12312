using HaStack.HealthProbe.Model;

namespace HaStack.HealthProbe.Probing;

/// <summary>When lag and waits turn a verdict. Defaults are the seed's (<c>monitor_replication.sh</c>).</summary>
public sealed record ProbeThresholds
{
    /// <summary>Replay lag at or above this makes the cluster Degraded.</summary>
    public TimeSpan LagWarning { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Replay lag at or above this makes the cluster Unhealthy.</summary>
    public TimeSpan LagCritical { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Byte lag at or above this fraction of <c>maximum_lag_on_failover</c> makes the cluster Degraded; at or above the
    /// limit itself Patroni would not promote the replica.
    /// </summary>
    public double LagBytesWarningFraction { get; init; } = 0.5;

    /// <summary>No backup at all for this long (a new stack's first one runs at start) makes the cluster Degraded.</summary>
    public TimeSpan NoBackupGrace { get; init; } = TimeSpan.FromMinutes(3);

    /// <summary>A PgBouncer client waiting this long for a server connection makes the cluster Degraded.</summary>
    public TimeSpan PoolWaitWarning { get; init; } = TimeSpan.FromSeconds(1);
}

/// <summary>One Patroni member to probe: its REST API and, when known, a connection string to its PostgreSQL.</summary>
/// <param name="Name">Patroni's member name, or null to learn it from the member (CLI).</param>
/// <param name="RestUrl">Base URL of its Patroni REST API.</param>
/// <param name="ConnectionString">A <c>pg_monitor</c> (or superuser) connection string to its PostgreSQL, or null.</param>
/// <param name="DataSource">The service's data source for it (Aspire.Npgsql, keyed by member name: its metrics and
/// traces reach the dashboard); null: the probe makes one from <paramref name="ConnectionString"/> (the CLI).</param>
public sealed record MemberEndpoint(string? Name, Uri RestUrl, string? ConnectionString, Npgsql.NpgsqlDataSource? DataSource = null);

/// <summary>What one probe talks to.</summary>
public sealed record ProbeTargets
{
    public required IReadOnlyList<MemberEndpoint> Members { get; init; }

    /// <summary>
    /// Connection string (credentials, database, options) for members that have none of their own; the host and port
    /// come from Patroni's <c>/cluster</c>. Null: no SQL on those members.
    /// </summary>
    public string? FallbackConnectionString { get; init; }

    /// <summary>The PgBouncer exporter's <c>/metrics</c> URL (its pools), or null to skip PgBouncer.</summary>
    public Uri? PgBouncerMetrics { get; init; }

    /// <summary>etcd members' read-only metrics URLs (<c>/health</c>) by name, or empty to skip etcd.</summary>
    public IReadOnlyList<(string Name, Uri Url)> Etcd { get; init; } = [];

    /// <summary>The backup repository to read on the leader, or null to skip backups (the CLI).</summary>
    public BackupTarget? Backup { get; init; }

    /// <summary>Used until Patroni's <c>/config</c> answers.</summary>
    public ClusterSettings Settings { get; init; } = ClusterSettings.Default;

    /// <summary>Each HTTP request and SQL batch gives up after this long.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(2);
}
