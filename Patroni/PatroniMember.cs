namespace HaStack.Patroni;

/// <summary>A member as the DCS knows it (<c>GET /cluster</c>); <see cref="Role"/> is normalized (<see cref="PatroniRole"/>).</summary>
public sealed record PatroniMember(
    string Name,
    string Role,
    string? State,
    string? Host,
    int? Port,
    string? ApiUrl,
    long? Timeline,
    long? LagBytes,
    bool NoFailover)
{
    /// <summary>Whether it holds the leader lock (a primary, or a standby cluster's leader).</summary>
    public bool IsLeader => PatroniRole.IsLeader(Role);

    /// <summary>Whether it is a synchronous standby (Patroni's named one, or one of a quorum).</summary>
    public bool IsSyncStandby => PatroniRole.IsSynchronous(Role);

    /// <summary>Whether its PostgreSQL runs (a replica streams).</summary>
    public bool IsRunning => State is "running" or "streaming";
}

/// <param name="Scope">The cluster's name.</param>
/// <param name="Members">Members registered in the DCS.</param>
/// <param name="Paused">Maintenance mode (<c>patronictl pause</c>): Patroni neither fails over nor resumes paused replay.</param>
public sealed record PatroniClusterView(string? Scope, IReadOnlyList<PatroniMember> Members, bool Paused)
{
    /// <summary>The member holding the leader lock, if any.</summary>
    public PatroniMember? Leader => Members.FirstOrDefault(m => m.IsLeader);

    /// <summary>How many members say they lead (more than one is a split brain).</summary>
    public int LeaderCount => Members.Count(m => m.IsLeader);
}
