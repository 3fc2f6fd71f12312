using System.Globalization;
using HaStack.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Aspire.Hosting;

/// <summary>The HealthProbe add-on of a Patroni cluster.</summary>
public static class HealthProbeBuilderExtensions
{
    /// <summary>
    /// Adds HaStack's HealthProbe for <paramref name="cluster"/>, a prebuilt .NET app shipped in the package and run with
    /// <c>dotnet exec</c>. Every second it checks each Patroni node (REST API, and PostgreSQL as the <c>pg_monitor</c>
    /// role <c>hastack_monitor</c>), etcd (read-only <c>/health</c>), PgBouncer's pools (its exporter) and the backup
    /// repository, and judges the cluster Healthy, Degraded or Unhealthy. The verdict, with its reasons, is this
    /// resource's health on the dashboard; the report is at <c>/status</c>, metrics at <c>/metrics</c> on
    /// <see cref="MetricsEndpointExtensions.EndpointName"/>. It is also Alertmanager's receiver
    /// (<see cref="HealthProbeResource.AlertsEndpointName"/>, bearer token <c>{name}-webhook-secret</c>): one
    /// structured log line per alert state change. It does not wait for the cluster: a monitor runs while what it
    /// watches is starting or broken. Nodes, etcd members and PgBouncer are read when it starts, so the calls that add
    /// them may come before or after this one.
    /// </summary>
    /// <param name="cluster">The Patroni cluster.</param>
    /// <param name="name">The resource name.</param>
    /// <exception cref="HaStackConfigurationException">The probe's app is not there (the package is not restored).</exception>
    public static IResourceBuilder<HealthProbeResource> WithHealthProbe(
        this IResourceBuilder<PatroniClusterResource> cluster, [ResourceName] string name = "healthprobe")
    {
        ArgumentNullException.ThrowIfNull(cluster);
        Names.ThrowIfInvalid(name, nameof(name));
        var builder = cluster.ApplicationBuilder;
        var resource = cluster.Resource;
        if (resource.HealthProbe is { } existing)
        {
            throw new ArgumentException($"The cluster '{resource.Name}' already has a HealthProbe, '{existing.Name}'.", nameof(cluster));
        }

        var app = WorkerApps.Locate(builder, WorkerApps.HealthProbe);
        var webhookSecret = builder.AddParameter($"{name}-webhook-secret", new GenerateParameterDefault { MinLength = 24, Special = false }, secret: true, persist: true)
            .WithDescription("Bearer token Alertmanager sends to the HealthProbe's alert webhook (POST /alerts), which refuses any other.");
        var probe = builder.AddResource(new HealthProbeResource(name, WorkerApps.DotnetHost(), Path.GetDirectoryName(app)!, resource, webhookSecret.Resource))
            .WithHttpEndpoint(name: HealthProbeResource.HttpEndpointName)
            .WithMetricsEndpoint()
            .WithHttpEndpoint(name: HealthProbeResource.AlertsEndpointName)
            .WithEndpoint(HealthProbeResource.AlertsEndpointName, endpoint => endpoint.TargetHost = "0.0.0.0")
            .AsWorker(app)
            // Patroni's REST API over HTTPS and PostgreSQL with VerifyFull, against the stack's root certificate.
            .WithStackRootCertificate()
            .WithEnvironment("HealthProbe__Backup__Stanza", resource.Scope)
            .WithEnvironment("Alerts__WebhookSecret", webhookSecret)
            .WithEnvironment(context => ProbeTargets(context, resource));
        probe.WithEnvironment("Alerts__Port", probe.GetEndpoint(HealthProbeResource.AlertsEndpointName).Property(EndpointProperty.TargetPort));
        resource.HealthProbe = probe.Resource;

        // Asked every few seconds: its requests are not logged in the consumer's AppHost.
        builder.Services.AddHttpClient(nameof(HealthProbeVerdictCheck)).RemoveAllLoggers();
        var check = $"{name}-verdict";
        builder.Services.AddHealthChecks().Add(new HealthCheckRegistration(check,
            sp => new HealthProbeVerdictCheck(probe.Resource, sp.GetRequiredService<IHttpClientFactory>()), failureStatus: null, tags: null));
        return probe.WithHealthCheck(check);
    }

    /// <summary>What the probe watches, read from the model when it starts.</summary>
    private static void ProbeTargets(EnvironmentCallbackContext context, PatroniClusterResource cluster)
    {
        var env = context.EnvironmentVariables;
        var timing = cluster.Timing;
        env["HealthProbe__Members"] = cluster.NodeNames;
        env["HealthProbe__Etcd"] = cluster.Etcd.MemberNames;
        // Fallbacks until Patroni's /config answers (the probe reads the live values from there).
        env["HealthProbe__Ttl"] = timing.Ttl.ToString(CultureInfo.InvariantCulture);
        env["HealthProbe__LoopWait"] = timing.LoopWait.ToString(CultureInfo.InvariantCulture);
        env["HealthProbe__RetryTimeout"] = timing.RetryTimeout.ToString(CultureInfo.InvariantCulture);
        env["HealthProbe__SynchronousMode"] = cluster.SynchronousMode == SynchronousMode.Off ? "false" : "true";
        if (cluster.Backups?.Schedule is { } every)
        {
            env["HealthProbe__Backup__ScheduleSeconds"] = every.TotalSeconds.ToString(CultureInfo.InvariantCulture);
        }

        // The pools come from PgBouncer's exporter: the probe holds no PgBouncer login.
        if (cluster.PgBouncer is { } pgbouncer)
        {
            env["HealthProbe__PgBouncer"] = pgbouncer.Name;
            env["HealthProbe__PgBouncerMetricsUrl"] = ReferenceExpression.Create(
                $"{new EndpointReference(pgbouncer, PgBouncerResource.ExporterEndpointName).Property(EndpointProperty.Url)}/metrics");
        }

        foreach (var node in cluster.Nodes.Select(n => n.Resource))
        {
            // The backup repository is read with pgbackrest info in the leader's container.
            env[$"HealthProbe__Backup__Containers__{node.Name}"] = node.ContainerName;
            // Service discovery of the REST API (http://_patroni.pg-1); SQL as the pg_monitor role.
            env[ServiceVariable(node.Name, PatroniNodeResource.RestEndpointName)] = node.RestEndpoint.Property(EndpointProperty.Url);
            env[$"ConnectionStrings__{node.Name}"] = node.ConnectionStringFor(PatroniNodeResource.MonitorUser, cluster.Secrets.Monitor);
        }

        foreach (var member in cluster.Etcd.Members.Select(m => m.Resource))
        {
            env[ServiceVariable(member.Name, EtcdMemberResource.MetricsEndpointName)] = member.MetricsEndpoint.Property(EndpointProperty.Url);
        }
    }

    /// <summary>The variable Aspire's service discovery reads for an endpoint, as <c>WithReference</c> writes it.</summary>
    internal static string ServiceVariable(string resource, string endpoint) => $"services__{resource}__{endpoint}__0";
}
