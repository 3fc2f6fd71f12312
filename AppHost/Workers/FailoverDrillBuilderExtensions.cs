using HaStack.AppHost.Patroni;

namespace Aspire.Hosting;

public static class FailoverDrillBuilderExtensions
{
    /// <summary>The drill service's HTTP endpoint (drill API, <c>/health</c>, <c>/metrics</c>).</summary>
    public const string HttpEndpointName = "http";

    /// <summary>The HealthProbe resource whose verdict, when it exists and answers, gates every drill.</summary>
    public const string HealthProbeResourceName = "healthprobe";

    /// <summary>
    /// Adds the FailoverDrill service: it reaches the cluster through <paramref name="pooled"/> (PgBouncer) and
    /// <paramref name="direct"/> (multi-host), every node's Patroni REST API, and kills a node with <c>docker kill</c>
    /// of its container for a crash drill (then <c>docker start</c> so it can rejoin). Drills run only when asked:
    /// the dashboard commands "Switchover drill" and "Crash drill", or <c>POST /drills/{kind}</c>.
    /// </summary>
    public static IResourceBuilder<ProjectResource> AddFailoverDrill(
        this IDistributedApplicationBuilder builder,
        string name,
        PatroniCluster cluster,
        IResourceBuilder<IResourceWithConnectionString> pooled,
        IResourceBuilder<IResourceWithConnectionString> direct)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(cluster);
        ArgumentNullException.ThrowIfNull(pooled);
        ArgumentNullException.ThrowIfNull(direct);

        var patroniUrls = new ReferenceExpressionBuilder();
        for (var i = 0; i < cluster.Nodes.Count; i++)
        {
            patroniUrls.AppendLiteral(i == 0 ? "" : ",");
            patroniUrls.AppendFormatted(cluster.Nodes[i].Resource.RestEndpoint.Property(EndpointProperty.Url));
        }

        var containers = string.Join(',', cluster.Nodes.Select(n => $"{n.Resource.Name}={n.Resource.ContainerName}"));
        var drill = builder.AddProject<Projects.FailoverDrill>(name, options => options.ExcludeLaunchProfile = true)
            .WithHttpEndpoint(name: HttpEndpointName)
            .WithReference(pooled, "app").WaitFor(pooled)
            .WithReference(direct, "app-direct").WaitFor(direct)
            .WithEnvironment("Drill__Patroni", patroniUrls.Build())
            .WithEnvironment("Drill__RestUser", PatroniCluster.RestUser)
            .WithEnvironment(context =>
            {
                context.EnvironmentVariables["Drill__RestPassword"] = cluster.RestPassword;
                // The probe is optional and may be declared after the drill: look it up when the drill starts.
                var probe = builder.Resources.OfType<IResourceWithEndpoints>().FirstOrDefault(r => r.Name == HealthProbeResourceName);
                var endpoint = probe?.Annotations.OfType<EndpointAnnotation>().FirstOrDefault(e => e.UriScheme is "http" or "https");
                if (probe is not null && endpoint is not null)
                {
                    context.EnvironmentVariables["Drill__HealthProbeUrl"] = new EndpointReference(probe, endpoint.Name);
                }
            })
            // A crash is SIGKILL to the node's container through the engine, never an Aspire stop (that is graceful
            // and releases the leader lock). The same container is started again for the rejoin.
            .WithEnvironment("Drill__KillCommand", "docker kill {container}")
            .WithEnvironment("Drill__StartCommand", "docker start {container}")
            .WithEnvironment("Drill__Containers", containers)
            .WithHttpHealthCheck("/health", endpointName: HttpEndpointName)
            .WithHttpCommand("/drills/switchover", "Switchover drill", HttpEndpointName, "switchover-drill", new HttpCommandOptions
            {
                Method = HttpMethod.Post,
                Description = "Planned switchover through Patroni's REST API under write load; the report is at /drills/last.",
                IconName = "ArrowSwap",
            })
            .WithHttpCommand("/drills/crash", "Crash drill", HttpEndpointName, "crash-drill", new HttpCommandOptions
            {
                Method = HttpMethod.Post,
                Description = "Kills the leader's container under write load and checks that no acknowledged write was lost; the report is at /drills/last.",
                ConfirmationMessage = "Kill the current leader's container (docker kill) under write load?",
                IconName = "Flash",
            });

        foreach (var node in cluster.Nodes)
        {
            drill.WaitFor(node);
        }

        return drill;
    }
}
