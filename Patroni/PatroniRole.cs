namespace HaStack.Patroni;

/// <summary>
/// Patroni's role names, one vocabulary for Patroni 3 and 4. <c>GET /cluster</c> says <c>leader</c>,
/// <c>standby_leader</c>, <c>sync_standby</c>, <c>quorum_standby</c> (Patroni 4's quorum commit) or <c>replica</c>;
/// a node's own <c>GET /patroni</c> says <c>primary</c> on Patroni 4 and <see cref="Patroni30Primary"/> on Patroni 3.0
/// (the PostgreSQL 15 platform). <see cref="Normalize"/> maps every one of them onto the <c>/cluster</c> names.
/// </summary>
public static class PatroniRole
{
    /// <summary>The primary.</summary>
    public const string Leader = "leader";

    /// <summary>A standby cluster's leader (it replicates from another cluster).</summary>
    public const string StandbyLeader = "standby_leader";

    /// <summary>Patroni's named synchronous standby.</summary>
    public const string SyncStandby = "sync_standby";

    /// <summary>A synchronous standby of a quorum (Patroni 4's quorum commit).</summary>
    public const string QuorumStandby = "quorum_standby";

    /// <summary>An asynchronous replica.</summary>
    public const string Replica = "replica";

    /// <summary>Patroni 3.0.2's <c>/patroni</c> role for the primary, read only to understand that version.</summary>
    private const string Patroni30Primary = "master";

    /// <summary>Any Patroni version's role name as <c>/cluster</c> says it; <c>unknown</c> for none.</summary>
    public static string Normalize(string? role) => role switch
    {
        null or "" => "unknown",
        "primary" or Patroni30Primary => Leader,
        _ => role,
    };

    /// <summary>Whether the role holds the leader lock.</summary>
    public static bool IsLeader(string? role) => Normalize(role) is Leader or StandbyLeader;

    /// <summary>A synchronous standby: Patroni's named one, or one of a quorum.</summary>
    public static bool IsSynchronous(string? role) => Normalize(role) is SyncStandby or QuorumStandby;
}
