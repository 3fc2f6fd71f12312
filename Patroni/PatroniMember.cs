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
    public bool IsLeader => PatroniRole.IsLeader(Role);

    public bool IsSyncStandby => PatroniRole.IsSynchronous(Role);

    public bool IsRunning => State is "running" or "streaming";
}

/// <param name="Scope">The cluster's name.</param>
/// <param name="Members">Members registered in the DCS.</param>
/// <param name="Paused">Maintenance mode (<c>patronictl pause</c>): Patroni neither fails over nor resumes paused replay.</param>
public sealed record PatroniClusterView(string? Scope, IReadOnlyList<PatroniMember> Members, bool Paused)
{
    public PatroniMember? Leader => Members.FirstOrDefault(m => m.IsLeader);

    public int LeaderCount => Members.Count(m => m.IsLeader);
}
