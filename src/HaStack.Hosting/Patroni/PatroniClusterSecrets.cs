namespace Aspire.Hosting.ApplicationModel;

/// <summary>
/// A Patroni cluster's passwords, as secret Aspire parameters named <c>{cluster}-…-password</c>: generated on the
/// first run and kept in the AppHost's user secrets, overridable as <c>Parameters:&lt;name&gt;</c>.
/// </summary>
/// <param name="Superuser">PostgreSQL's superuser (<c>postgres</c>).</param>
/// <param name="Replication">The streaming replication user (<c>replicator</c>).</param>
/// <param name="Rewind">The pg_rewind user (<c>rewind_user</c>).</param>
/// <param name="App">The application user (<c>app</c>).</param>
/// <param name="PgBouncerAuth">PgBouncer's <c>auth_query</c> user (<c>pgbouncer_auth</c>).</param>
/// <param name="Monitor">The monitoring role (<c>hastack_monitor</c>, member of <c>pg_monitor</c>).</param>
/// <param name="Rest">Patroni's REST API user for changing operations (<see cref="PatroniClusterResource.RestUser"/>).</param>
public sealed record PatroniClusterSecrets(
    ParameterResource Superuser,
    ParameterResource Replication,
    ParameterResource Rewind,
    ParameterResource App,
    ParameterResource PgBouncerAuth,
    ParameterResource Monitor,
    ParameterResource Rest);
