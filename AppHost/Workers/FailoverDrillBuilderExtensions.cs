using Microsoft.Extensions.DependencyInjection;

namespace Aspire.Hosting;

public static class FailoverDrillBuilderExtensions
{
    /// <summary>The drill service's HTTP endpoint on localhost (drill API, <c>/health</c>); metrics are on <see cref="MetricsEndpointExtensions.EndpointName"/>.</summary>
    public const string HttpEndpointName = "http";

    /// <summary>
    /// The HTTP client of the drill and soak commands: they wait for the outcome, longer than the default 100 s
    /// (a drill with default timing, a 10-minute soak).
    /// </summary>
    private const string CommandClientName = "hastack-drill-commands";

    /// <summary>The parameter holding the bearer token that starts a drill.</summary>
    public const string ControlSecretParameterName = "drill-control-secret";

    /// <summary>
    /// Adds the FailoverDrill service: it reaches the cluster through <paramref name="pooled"/> (PgBouncer) and
    /// <paramref name="cluster"/>'s own multi-host connection string (as <c>app-direct</c>), every node's Patroni REST
    /// API and every etcd member's metrics port. It injects faults through the container engine: <c>docker kill</c> and
    /// <c>docker start</c> of a node's or etcd member's container, <c>docker pause</c>, and a one-off container of the
    /// node image in a node's network namespace that filters its packets (<c>netfault.sh</c>). Drills run only when
    /// asked: the dashboard's drill commands, or <c>POST /drills/{kind}</c> from the host with
    /// the <c>drill-control-secret</c> parameter as a bearer token (the commands send it). A switchover drill pauses
    /// <paramref name="pooled"/>'s database in PgBouncer (<c>docker exec</c> of its console) around the handover, unless
    /// the plain one is asked for. When <paramref name="probe"/> is
    /// given, its verdict gates every drill.
    /// </summary>
    public static IResourceBuilder<ProjectResource> AddFailoverDrill(
        this IResourceBuilder<PatroniClusterResource> cluster,
        string name,
        IResourceBuilder<PgBouncerDatabaseResource> pooled,
        IResourceBuilder<ProjectResource>? probe = null)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        ArgumentNullException.ThrowIfNull(pooled);
        var builder = cluster.ApplicationBuilder;
        var etcd = cluster.Resource.Etcd;
        var controlSecret = builder.AddParameter(ControlSecretParameterName, new GenerateParameterDefault { MinLength = 24, Special = false }, secret: true, persist: true)
            .WithDescription("Bearer token the FailoverDrill service requires to start a drill (the dashboard's commands send it).");

        var nodes = cluster.Resource.Nodes;
        var nodeImage = nodes[0].Resource.TryGetContainerImageName(out var image) ? image : null;
        var drill = builder.AddProject<Projects.FailoverDrill>(name, options => options.ExcludeLaunchProfile = true)
            .WithHttpEndpoint(name: HttpEndpointName)
            .WithMetricsEndpoint()
            .WithEnvironment("Drill__ControlSecret", controlSecret)
            // Patroni's REST API over HTTPS, verified against the stack's root certificate.
            .WithStackRootCertificate()
            .WithReference(pooled, "app").WaitFor(pooled)
            .WithReference(cluster, "app-direct").WaitFor(cluster)
            // Typed configuration: a list of REST URLs, maps of member → metrics URL and member → container.
            .WithEnvironment(context =>
            {
                for (var i = 0; i < nodes.Count; i++)
                {
                    context.EnvironmentVariables[$"Drill__Patroni__{i}"] = nodes[i].Resource.RestEndpoint.Property(EndpointProperty.Url);
                    context.EnvironmentVariables[$"Drill__Containers__{nodes[i].Resource.Name}"] = nodes[i].Resource.ContainerName;
                }

                foreach (var member in etcd.Members.Select(m => m.Resource))
                {
                    context.EnvironmentVariables[$"Drill__Etcd__{member.Name}"] = member.MetricsEndpoint.Property(EndpointProperty.Url);
                    context.EnvironmentVariables[$"Drill__Containers__{member.Name}"] = member.ContainerName;
                }
            })
            .WithEnvironment("Drill__RestUser", PatroniClusterResource.RestUser)
            .WithEnvironment("Drill__RestPassword", cluster.Resource.Secrets.Rest)
            // A crash is SIGKILL to the container through the engine, never an Aspire stop (that is graceful and
            // releases the leader lock). The same container is started again for the rejoin.
            .WithEnvironment("Drill__KillCommand__0", "docker").WithEnvironment("Drill__KillCommand__1", "kill").WithEnvironment("Drill__KillCommand__2", "{container}")
            .WithEnvironment("Drill__StartCommand__0", "docker").WithEnvironment("Drill__StartCommand__1", "start").WithEnvironment("Drill__StartCommand__2", "{container}")
            .WithEnvironment("Drill__Engine", "docker")
            .WithEnvironment("Drill__FencedFailover", cluster.Resource.FencedFailover ? "true" : "false")
            // A switchover pauses PgBouncer's read-write database around the handover (its admin console, in its container).
            .WithEnvironment("Drill__PgBouncerContainer", pooled.Resource.Parent.ContainerName)
            .WithHttpHealthCheck("/health", endpointName: HttpEndpointName);
        if (nodeImage is not null)
        {
            drill.WithEnvironment("Drill__FaultImage", nodeImage);
        }

        builder.Services.AddHttpClient(CommandClientName, http => http.Timeout = TimeSpan.FromHours(1));
        foreach (var command in DrillCommand.All)
        {
            drill.WithHttpCommand($"/drills/{command.Kind}", command.DisplayName, HttpEndpointName, command.Name, new HttpCommandOptions
            {
                Method = HttpMethod.Post,
                Description = command.Description + " Runs until the cluster is healthy again, then says how it went; the report is at /drills/last.",
                ConfirmationMessage = command.Confirmation,
                IconName = command.Icon,
                PrepareRequest = context => SendControlSecretAsync(context, controlSecret, "wait=true" + command.Query),
                GetCommandResult = DrillCommandResult.ReadAsync,
                HttpClientName = CommandClientName,
            });
        }

        drill.WithHttpCommand("/soaks/chaos", "Chaos soak (10 min)", HttpEndpointName, "chaos-soak", new HttpCommandOptions
        {
            Method = HttpMethod.Post,
            Description = "Ten minutes of random faults of every drill kind, one at a time, healed in between, under writers that never stop; one set checker over every write. The report is at /soaks/last.",
            ConfirmationMessage = "Inject random faults (kills, partitions, pauses, etcd loss) for 10 minutes under write load?",
            IconName = "Beaker",
            PrepareRequest = context => SendControlSecretAsync(context, controlSecret, "wait=true&duration=10m"),
            GetCommandResult = DrillCommandResult.ReadSoakAsync,
            HttpClientName = CommandClientName,
        });

        // The last drill's full report (read-only, no secret needed), one click from the resource.
        drill.WithUrl(ReferenceExpression.Create($"{drill.GetEndpoint(HttpEndpointName)}/drills/last"), "Last drill report");
        drill.WithUrl(ReferenceExpression.Create($"{drill.GetEndpoint(HttpEndpointName)}/soaks/last"), "Last soak report");
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
    /// The dashboard's drill and soak commands carry the stack's control secret, as the service requires, and wait
    /// for the outcome (<c>wait=true</c> in <paramref name="query"/>) so that the command ends with it.
    /// </summary>
    private static async Task SendControlSecretAsync(HttpCommandRequestContext context, IResourceBuilder<ParameterResource> secret, string query)
    {
        var value = await secret.Resource.GetValueAsync(context.CancellationToken).ConfigureAwait(false);
        context.Request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", value);
        context.Request.RequestUri = new UriBuilder(context.Request.RequestUri!) { Query = query }.Uri;
    }
}
