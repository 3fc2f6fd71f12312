namespace HaStack.Patroni;

/// <summary>A replication connection as the leader's <c>GET /patroni</c> lists it (from <c>pg_stat_replication</c>).</summary>
public sealed record PatroniReplication(string ApplicationName, string? ClientAddress, string? State, string? SyncState);

/// <summary>A node as it describes itself (<c>GET /patroni</c>); <see cref="Role"/> is normalized (<see cref="PatroniRole"/>).</summary>
public sealed record PatroniNodeStatus(
    string? Name,
    string? Scope,
    string State,
    string Role,
    long? Timeline,
    long? WalLocation,
    long? ReceivedLocation,
    long? ReplayedLocation,
    bool? ReplayPaused,
    string? PatroniVersion,
    long? ServerVersion,
    IReadOnlyList<PatroniReplication> Replication)
{
    /// <summary>A running primary by its own account.</summary>
    public bool IsPrimary => Role == PatroniRole.Leader && State == "running";

    /// <summary>PostgreSQL's version as people write it (<c>server_version</c> 180006 is <c>18.6</c>); null when Patroni did not say.</summary>
    public string? PostgresVersion => ServerVersion is { } v ? $"{v / 10000}.{v % 10000}" : null;

    /// <summary>
    /// e.g. <c>PostgreSQL 18.6, Patroni 4.1.5</c>, as the node reports them: the versions that run, not the ones asked
    /// for. Null until both are known (Patroni reports no server version while PostgreSQL is not running).
    /// </summary>
    public string? DescribeVersions() => PostgresVersion is { } postgres && PatroniVersion is { } patroni
        ? $"PostgreSQL {postgres}, Patroni {patroni}"
        : null;
}
