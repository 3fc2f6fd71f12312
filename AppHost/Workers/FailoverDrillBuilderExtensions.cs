using HaStack.AppHost.Patroni;

namespace Aspire.Hosting;

public static class FailoverDrillBuilderExtensions
{
    /// <summary>The drill service's HTTP endpoint on localhost (drill API, <c>/health</c>); metrics are on <see cref="MetricsEndpointExtensions.EndpointName"/>.</summary>
    public const string HttpEndpointName = "http";

    /// <summary>
    /// Adds the FailoverDrill service: it reaches the cluster through <paramref name="pooled"/> (PgBouncer) and
    /// <paramref name="cluster"/>'s own multi-host connection string (as <c>app-direct</c>), every node's Patroni REST API, and kills a node with <c>docker kill</c>
    /// of its container for a crash drill (then <c>docker start</c> so it can rejoin). Drills run only when asked:
    /// the dashboard commands "Switchover drill" and "Crash drill", or <c>POST /drills/{kind}</c> from the host with
    /// <paramref name="controlSecret"/> as a bearer token (the commands send it). When <paramref name="probe"/> is
    /// given, its verdict gates every drill.
    /// </summary>
    public static IResourceBuilder<ProjectResource> AddFailoverDrill(
        this IDistributedApplicationBuilder builder,
        string name,
        IResourceBuilder<PatroniClusterResource> cluster,
        IResourceBuilder<IResourceWithConnectionString> pooled,
        IResourceBuilder<ParameterResource> controlSecret,
        IResourceBuilder<ProjectResource>? probe = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(cluster);
        ArgumentNullException.ThrowIfNull(pooled);
        ArgumentNullException.ThrowIfNull(controlSecret);

        var patroniUrls = new ReferenceExpressionBuilder();
        var nodes = cluster.Resource.Nodes;
        for (var i = 0; i < nodes.Count; i++)
        {
            patroniUrls.AppendLiteral(i == 0 ? "" : ",");
            patroniUrls.AppendFormatted(nodes[i].Resource.RestEndpoint.Property(EndpointProperty.Url));
        }

        var containers = string.Join(',', nodes.Select(n => $"{n.Resource.Name}={n.Resource.ContainerName}"));
        var drill = builder.AddProject<Projects.FailoverDrill>(name, options => options.ExcludeLaunchProfile = true)
            .WithHttpEndpoint(name: HttpEndpointName)
            .WithMetricsEndpoint()
            .WithEnvironment("Drill__ControlSecret", controlSecret)
            .WithReference(pooled, "app").WaitFor(pooled)
            .WithReference(cluster, "app-direct").WaitFor(cluster)
            .WithEnvironment("Drill__Patroni", patroniUrls.Build())
            .WithEnvironment("Drill__RestUser", PatroniClusterResource.RestUser)
            .WithEnvironment("Drill__RestPassword", cluster.Resource.RestPassword)
            // A crash is SIGKILL to the node's container through the engine, never an Aspire stop (that is graceful
            // and releases the leader lock). The same container is started again for the rejoin.
            .WithEnvironment("Drill__KillCommand__0", "docker").WithEnvironment("Drill__KillCommand__1", "kill").WithEnvironment("Drill__KillCommand__2", "{container}")
            .WithEnvironment("Drill__StartCommand__0", "docker").WithEnvironment("Drill__StartCommand__1", "start").WithEnvironment("Drill__StartCommand__2", "{container}")
            .WithEnvironment("Drill__Containers", containers)
            .WithHttpHealthCheck("/health", endpointName: HttpEndpointName)
            .WithHttpCommand("/drills/switchover", "Switchover drill", HttpEndpointName, "switchover-drill", new HttpCommandOptions
            {
                Method = HttpMethod.Post,
                Description = "Planned switchover through Patroni's REST API under write load. Runs until the old leader streams again, then says how it went; the report is at /drills/last.",
                IconName = "ArrowSwap",
                PrepareRequest = context => SendControlSecretAsync(context, controlSecret),
                GetCommandResult = DrillCommandResult.ReadAsync,
            })
            .WithHttpCommand("/drills/crash", "Crash drill", HttpEndpointName, "crash-drill", new HttpCommandOptions
            {
                Method = HttpMethod.Post,
                Description = "Kills the leader's container under write load and checks that no acknowledged write was lost. Runs until the old leader streams again, then says how it went; the report is at /drills/last.",
                ConfirmationMessage = "Kill the current leader's container (docker kill) under write load?",
                IconName = "Flash",
                PrepareRequest = context => SendControlSecretAsync(context, controlSecret),
                GetCommandResult = DrillCommandResult.ReadAsync,
            });
        // The last drill's full report (read-only, no secret needed), one click from the resource.
        drill.WithUrl(ReferenceExpression.Create($"{drill.GetEndpoint(HttpEndpointName)}/drills/last"), "Last drill report");
        if (probe is not null)
        {
            drill.WithEnvironment("Drill__HealthProbeUrl", probe.GetEndpoint(HealthProbeBuilderExtensions.HttpEndpointName));
        }

        foreach (var node in nodes)
        {
            drill.WaitFor(node);
        }

        return drill;
    }

    /// <summary>
    /// The dashboard's drill commands carry the stack's control secret, as the service requires, and wait for the
    /// drill (<c>?wait=true</c>) so that the command ends with its outcome.
    /// </summary>
    private static async Task SendControlSecretAsync(HttpCommandRequestContext context, IResourceBuilder<ParameterResource> secret)
    {
        var value = await secret.Resource.GetValueAsync(context.CancellationToken).ConfigureAwait(false);
        context.Request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", value);
        context.Request.RequestUri = new UriBuilder(context.Request.RequestUri!) { Query = "wait=true" }.Uri;
    }
}
