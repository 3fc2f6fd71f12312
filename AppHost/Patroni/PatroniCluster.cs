namespace HaStack.AppHost.Patroni;

/// <summary>The Patroni nodes as one unit, plus the application credentials that every client path shares.</summary>
public sealed record PatroniCluster(
    string Scope,
    IReadOnlyList<IResourceBuilder<PatroniNodeResource>> Nodes,
    ParameterResource AppPassword,
    ParameterResource RestPassword)
{
    public const string AppUser = "app";
    public const string AppDatabase = "app";
    public const string RestUser = "patroni";

    /// <summary><c>pg-1,pg-2,…</c>: what the router and Prometheus iterate over.</summary>
    public string NodeNames => string.Join(',', Nodes.Select(n => n.Resource.Name));
}
