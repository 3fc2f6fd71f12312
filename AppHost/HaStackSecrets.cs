namespace HaStack.AppHost;

/// <summary>
/// Every password and key of the stack, as Aspire parameters: generated on first run, kept in the AppHost's user secrets when
/// persistence is on (so a restarted stack can still log in to its data), overridable as <c>Parameters:&lt;name&gt;</c>.
/// </summary>
public sealed record HaStackSecrets(
    IResourceBuilder<ParameterResource> Superuser,
    IResourceBuilder<ParameterResource> Replication,
    IResourceBuilder<ParameterResource> Rewind,
    IResourceBuilder<ParameterResource> App,
    IResourceBuilder<ParameterResource> PgBouncerAuth,
    IResourceBuilder<ParameterResource> PgBouncerStats,
    IResourceBuilder<ParameterResource> Monitor,
    IResourceBuilder<ParameterResource> PatroniRest,
    IResourceBuilder<ParameterResource> GrafanaAdmin,
    IResourceBuilder<ParameterResource> DrillControl,
    IResourceBuilder<ParameterResource> AlertWebhook);

public static class HaStackSecretsExtensions
{
    /// <summary>Declares the stack's password parameters.</summary>
    public static HaStackSecrets AddHaStackSecrets(this IDistributedApplicationBuilder builder, HaStackOptions options)
    {
        ArgumentNullException.ThrowIfNull(builder);

        IResourceBuilder<ParameterResource> Secret(string name, string description) =>
            builder.AddParameter(name, new GenerateParameterDefault { MinLength = 24, Special = false }, secret: true, persist: options.Persistent)
                .WithDescription(description);

        return new HaStackSecrets(
            Secret("pg-superuser-password", "PostgreSQL superuser (postgres) password."),
            Secret("pg-replication-password", "Streaming replication user (replicator) password."),
            Secret("pg-rewind-password", "pg_rewind user (rewind_user) password."),
            Secret("app-password", "Application user (app) password."),
            Secret("pgbouncer-auth-password", "PgBouncer auth_query user (pgbouncer_auth) password."),
            Secret("pgbouncer-stats-password", "PgBouncer console stats-only user (pgbouncer_stats, for the exporter) password."),
            Secret("pg-monitor-password", "Monitoring role (hastack_monitor, pg_monitor) password, for the HealthProbe."),
            Secret("patroni-rest-password", "Patroni REST API password for changing operations (switchover, restart)."),
            Secret("grafana-admin-password", "Grafana admin password."),
            Secret("drill-control-secret", "Bearer token the FailoverDrill service requires to start a drill (the dashboard's commands send it)."),
            Secret("alert-webhook-secret", "Bearer token Alertmanager sends to the HealthProbe's alert webhook (POST /alerts), which refuses any other."));
    }
}
