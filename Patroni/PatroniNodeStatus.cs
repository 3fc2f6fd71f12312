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
}
