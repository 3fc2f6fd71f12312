using HaStack.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace Aspire.Hosting;

/// <summary>The FailoverDrill add-on of a Patroni cluster.</summary>
public static class FailoverDrillBuilderExtensions
{
    /// <summary>
    /// The HTTP client of the drill and soak commands: they wait for the outcome, longer than the default 100 s
    /// (a drill with default timing, a 10-minute soak).
    /// </summary>
    private const string CommandClientName = "hastack-drill-commands";

    /// <summary>
    /// Adds HaStack's FailoverDrill service for <paramref name="cluster"/>, a prebuilt .NET app shipped in the package
    /// and run with <c>dotnet exec</c>, with one dashboard command per drill kind and one for the chaos soak. Its writers
    /// reach the cluster through PgBouncer's read-write database (pooled) and the cluster's multi-host connection string
    /// (direct); it reads every node's Patroni REST API and every etcd member's metrics. It injects faults through the
    /// container engine: <c>docker kill</c> and <c>docker start</c> of a node's or etcd member's container,
    /// <c>docker pause</c>, and a one-off container of the node image in a node's network namespace that filters its
    /// packets. A switchover drill pauses PgBouncer's read-write database around the handover. Drills run only when
    /// asked: the dashboard's commands, or <c>POST /drills/{kind}</c> from the host with the
    /// <c>{name}-control-secret</c> parameter as a bearer token (the commands send it). When the cluster has a
    /// HealthProbe (<see cref="HealthProbeBuilderExtensions.WithHealthProbe"/>), its verdict gates every drill. The
    /// cluster needs PgBouncer (<see cref="RoutingBuilderExtensions.AddPgBouncer"/>) before it starts; the calls may
    /// come in any order.
    /// </summary>
    /// <param name="cluster">The Patroni cluster.</param>
    /// <param name="name">The resource name.</param>
    /// <exception cref="HaStackConfigurationException">The drill's app is not there (the package is not restored).</exception>
    public static IResourceBuilder<FailoverDrillResource> WithFailoverDrills(
        this IResourceBuilder<PatroniClusterResource> cluster, [ResourceName] string name = "failoverdrill")
    {
        ArgumentNullException.ThrowIfNull(cluster);
        Names.ThrowIfInvalid(name, nameof(name));
        var builder = cluster.ApplicationBuilder;
        var resource = cluster.Resource;
        if (resource.FailoverDrills is { } existing)
        {
            throw new ArgumentException($"The cluster '{resource.Name}' already has a FailoverDrill service, '{existing.Name}'.", nameof(cluster));
        }

        var app = WorkerApps.Locate(builder, WorkerApps.FailoverDrill);
        var controlSecret = builder.AddParameter($"{name}-control-secret", new GenerateParameterDefault { MinLength = 24, Special = false }, secret: true, persist: true)
            .WithDescription("Bearer token the FailoverDrill service requires to start a drill (the dashboard's commands send it).");
        var drill = builder.AddResource(new FailoverDrillResource(name, WorkerApps.DotnetHost(), Path.GetDirectoryName(app)!, resource, controlSecret.Resource))
            .WithHttpEndpoint(name: FailoverDrillResource.HttpEndpointName)
            .WithMetricsEndpoint()
            .AsWorker(app)
            .WithEnvironment("Drill__ControlSecret", controlSecret)
            // Patroni's REST API over HTTPS, verified against the stack's root certificate.
            .WithStackRootCertificate()
            .WithReference(cluster, "app-direct")
            .WithEnvironment("Drill__RestUser", PatroniClusterResource.RestUser)
            .WithEnvironment("Drill__RestPassword", resource.Secrets.Rest)
            // A crash is SIGKILL to the container through the engine, never an Aspire stop (that is graceful and
            // releases the leader lock). The same container is started again for the rejoin.
            .WithEnvironment("Drill__KillCommand__0", "docker").WithEnvironment("Drill__KillCommand__1", "kill").WithEnvironment("Drill__KillCommand__2", "{container}")
            .WithEnvironment("Drill__StartCommand__0", "docker").WithEnvironment("Drill__StartCommand__1", "start").WithEnvironment("Drill__StartCommand__2", "{container}")
            .WithEnvironment("Drill__Engine", "docker")
            .WithEnvironment(context => DrillTargets(context, resource))
            .WithHttpHealthCheck("/health", endpointName: FailoverDrillResource.HttpEndpointName)
            .WaitFor(cluster);
        resource.FailoverDrills = drill.Resource;

        builder.Eventing.Subscribe<BeforeStartEvent>((_, _) =>
        {
            WaitForTargets(drill);
            return Task.CompletedTask;
        });

        builder.Services.AddHttpClient(CommandClientName, http => http.Timeout = TimeSpan.FromHours(1)).RemoveAllLoggers();
        foreach (var command in DrillCommand.All)
        {
            drill.WithHttpCommand($"/drills/{command.Kind}", command.DisplayName, FailoverDrillResource.HttpEndpointName, command.Name, new HttpCommandOptions
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

        drill.WithHttpCommand("/soaks/chaos", "Chaos soak (10 min)", FailoverDrillResource.HttpEndpointName, "chaos-soak", new HttpCommandOptions
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
        drill.WithUrl(ReferenceExpression.Create($"{drill.Resource.HttpEndpoint}/drills/last"), "Last drill report");
        drill.WithUrl(ReferenceExpression.Create($"{drill.Resource.HttpEndpoint}/soaks/last"), "Last soak report");
        return drill;
    }

    /// <summary>
    /// Makes every drill also measure <paramref name="service"/>, a resource of the same AppHost, as its own clients
    /// would: several callers send numbered writes to <paramref name="write"/> throughout the drill (the body is
    /// <paramref name="body"/> with <c>{key}</c> replaced by a new GUID per write) and read each acknowledged one back
    /// through <paramref name="read"/> (<c>{id}</c> is the <paramref name="idProperty"/> of the write's answer). The
    /// report's <c>service</c> path has the requests sent, failed by status and unknown, the longest gap between
    /// acknowledged writes, the latency before and during the fault, and every acknowledged write that the database
    /// does not hold: the drill looks each key up in <paramref name="table"/>.<paramref name="keyColumn"/> through its
    /// own connection, not through the service. A drill is refused, with the service's answer, when the service cannot
    /// take a write beforehand or does not store it where the drill looks.
    /// </summary>
    /// <param name="drills">The FailoverDrill add-on.</param>
    /// <param name="service">The service, e.g. an API project.</param>
    /// <param name="write">Its write endpoint: <c>POST /orders</c> (POST or PUT and a path).</param>
    /// <param name="read">Its read endpoint: <c>GET /orders/{id}</c>.</param>
    /// <param name="table">The table its writes land in (a plain name), in the cluster's <c>app</c> database.</param>
    /// <param name="keyColumn">The column that holds each write's key (a plain name).</param>
    /// <param name="body">The JSON body of a write, with <c>{key}</c> where the key goes.</param>
    /// <param name="idProperty">The property of the write's answer that names the new row.</param>
    /// <param name="endpointName">The service's HTTP endpoint.</param>
    public static IResourceBuilder<FailoverDrillResource> WithServiceProbe<T>(
        this IResourceBuilder<FailoverDrillResource> drills, IResourceBuilder<T> service, string write, string read,
        string table, string keyColumn, string body, string idProperty = "id", string endpointName = "http")
        where T : IResourceWithEndpoints
    {
        ArgumentNullException.ThrowIfNull(drills);
        ArgumentNullException.ThrowIfNull(service);
        ServiceProbeArguments.Check(write, read, table, keyColumn, body, idProperty);
        ArgumentException.ThrowIfNullOrEmpty(endpointName);
        return drills
            .WithEnvironment("Drill__Service__Url", service.GetEndpoint(endpointName))
            .WithEnvironment("Drill__Service__Write", write.Trim())
            .WithEnvironment("Drill__Service__Read", read.Trim())
            .WithEnvironment("Drill__Service__Table", table)
            .WithEnvironment("Drill__Service__KeyColumn", keyColumn)
            .WithEnvironment("Drill__Service__Body", body)
            .WithEnvironment("Drill__Service__IdProperty", idProperty)
            .WithRelationship(service.Resource, "Measures");
    }

    /// <summary>
    /// What exists only once the whole model is built, so that the calls may come in any order: the drill waits for
    /// PgBouncer and for every node of the final replica count.
    /// </summary>
    /// <exception cref="HaStackConfigurationException">The cluster has no PgBouncer to write through.</exception>
    internal static void WaitForTargets(IResourceBuilder<FailoverDrillResource> drill)
    {
        var cluster = drill.Resource.Cluster;
        if (cluster.PgBouncer is not { } pgbouncer)
        {
            throw new HaStackConfigurationException([
                $"The FailoverDrill '{drill.Resource.Name}' writes through PgBouncer, and the cluster '{cluster.Name}' has none: add it with cluster.AddPgBouncer(name, router)."]);
        }

        drill.WaitFor(drill.ApplicationBuilder.CreateResourceBuilder(pgbouncer));
        foreach (var node in cluster.Nodes)
        {
            drill.WaitFor(node);
        }
    }

    /// <summary>
    /// What the drill reaches, read from the model when it starts: typed configuration (a list of REST URLs, maps of
    /// member → metrics URL and member → container), the pooled database, the probe.
    /// </summary>
    private static void DrillTargets(EnvironmentCallbackContext context, PatroniClusterResource cluster)
    {
        var env = context.EnvironmentVariables;
        var nodes = cluster.Nodes.Select(n => n.Resource).ToList();
        for (var i = 0; i < nodes.Count; i++)
        {
            env[$"Drill__Patroni__{i}"] = nodes[i].RestEndpoint.Property(EndpointProperty.Url);
            env[$"Drill__Containers__{nodes[i].Name}"] = nodes[i].ContainerName;
        }

        foreach (var member in cluster.Etcd.Members.Select(m => m.Resource))
        {
            env[$"Drill__Etcd__{member.Name}"] = member.MetricsEndpoint.Property(EndpointProperty.Url);
            env[$"Drill__Containers__{member.Name}"] = member.ContainerName;
        }

        // The fault image is the node image: it has iptables, and is always there.
        if (nodes.FirstOrDefault()?.TryGetContainerImageName(out var image) == true)
        {
            env["Drill__FaultImage"] = image;
        }

        env["Drill__FencedFailover"] = cluster.FencedFailover ? "true" : "false";
        if (cluster.PgBouncer is { } pgbouncer)
        {
            env["ConnectionStrings__app"] = new PgBouncerDatabaseResource(PgBouncerResource.ReadWriteDatabase, PgBouncerResource.ReadWriteDatabase, pgbouncer).ConnectionStringExpression;
            // A switchover pauses PgBouncer's read-write database around the handover (its admin console, in its container).
            env["Drill__PgBouncerContainer"] = pgbouncer.ContainerName;
        }

        if (cluster.HealthProbe is { } probe)
        {
            env["Drill__HealthProbeUrl"] = probe.HttpEndpoint;
        }
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
