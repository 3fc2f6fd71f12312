using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;

namespace HaStack.Hosting.Tests;

/// <summary>The HealthProbe and FailoverDrill add-ons: prebuilt apps run with dotnet exec, wired from the model.</summary>
public class AddOnTests
{
    [Fact]
    public async Task TheProbeRunsThePrebuiltAppWithItsEndpointsAndWatchesNodesAddedAfterIt()
    {
        var (builder, cluster) = Model.Stack();
        var probe = cluster.WithHealthProbe();
        cluster.WithReplicas(2);

        var resource = Assert.IsType<HealthProbeResource>(builder.Get("healthprobe"));
        var args = await ArgsAsync(resource);
        Assert.Equal("exec", args[0]);
        Assert.EndsWith("HealthProbe.dll", args[1]);
        Assert.True(File.Exists(args[1]), args[1]);
        Assert.Equal(Path.GetDirectoryName(args[1]), resource.WorkingDirectory);
        Assert.Same(resource, cluster.Resource.HealthProbe);

        // Control on localhost; metrics and the alert webhook beyond it, for containers.
        var endpoints = resource.Annotations.OfType<EndpointAnnotation>().ToDictionary(e => e.Name, e => e.TargetHost);
        Assert.Equal(("localhost", "0.0.0.0", "0.0.0.0"), (endpoints["http"], endpoints["metrics"], endpoints["alerts"]));
        Assert.Single(resource.Annotations.OfType<HealthCheckAnnotation>());
        Assert.Empty(resource.Annotations.OfType<WaitAnnotation>());
        Assert.True(resource.TryGetAnnotationsOfType<ManifestPublishingCallbackAnnotation>(out _));

        var env = await builder.EnvironmentAsync("healthprobe");
        Assert.Equal("http://localhost:{healthprobe.bindings.http.targetPort};http://0.0.0.0:{healthprobe.bindings.metrics.targetPort};http://0.0.0.0:{healthprobe.bindings.alerts.targetPort}", env["ASPNETCORE_URLS"]);
        Assert.Equal("pg-1,pg-2,pg-3", env["HealthProbe__Members"]);
        Assert.Equal("{pg-3.bindings.patroni.url}", env["services__pg-3__patroni__0"]);
        Assert.Contains("Username=hastack_monitor", env["ConnectionStrings__pg-3"]);
        Assert.Equal("{etcd-2.bindings.metrics.url}", env["services__etcd-2__metrics__0"]);
        Assert.Equal("{pgbouncer.bindings.metrics.url}/metrics", env["HealthProbe__PgBouncerMetricsUrl"]);
        Assert.Equal("{healthprobe-webhook-secret.value}", env["Alerts__WebhookSecret"]);
        Assert.Single(resource.Annotations.OfType<OtlpExporterAnnotation>());
        Assert.True(builder.Resources.OfType<ParameterResource>().Single(p => p.Name == "healthprobe-webhook-secret").Secret);
        Assert.NotNull(probe);
    }

    [Fact]
    public async Task TheDrillsHaveACommandPerKindAClosedControlEndpointAndWriteThroughPgBouncerAddedAfterThem()
    {
        var builder = Model.Builder();
        var cluster = builder.AddPatroniCluster("pg", builder.AddEtcdCluster("etcd"));
        cluster.WithHealthProbe("probe");
        var drills = cluster.WithFailoverDrills("drills");
        cluster.AddPgBouncer("pgbouncer", cluster.AddHAProxy("router"));

        var resource = drills.Resource;
        Assert.EndsWith("FailoverDrill.dll", (await ArgsAsync(resource))[1]);
        var commands = resource.Annotations.OfType<ResourceCommandAnnotation>().Select(c => c.Name).ToList();
        Assert.Contains("crash-drill", commands);
        Assert.Contains("switchover-plain-drill", commands);
        Assert.Contains("etcd-quorum-loss-drill", commands);
        Assert.Contains("chaos-soak", commands);
        var endpoints = resource.Annotations.OfType<EndpointAnnotation>().ToDictionary(e => e.Name, e => e.TargetHost);
        Assert.Equal(("localhost", "0.0.0.0"), (endpoints["http"], endpoints["metrics"]));

        var env = await builder.EnvironmentAsync("drills");
        Assert.Equal("{drills-control-secret.value}", env["Drill__ControlSecret"]);
        Assert.Contains("Host={pgbouncer.bindings.pgbouncer.host}", env["ConnectionStrings__app"]);
        Assert.Equal("{pg.connectionString}", env["ConnectionStrings__app-direct"]);
        Assert.Equal("{probe.bindings.http.url}", env["Drill__HealthProbeUrl"]);
        Assert.Equal(["{pg-1.bindings.patroni.url}", "{pg-2.bindings.patroni.url}"], [env["Drill__Patroni__0"], env["Drill__Patroni__1"]]);
        Assert.Equal(["docker", "kill", "{container}"], [env["Drill__KillCommand__0"], env["Drill__KillCommand__1"], env["Drill__KillCommand__2"]]);

        // Before start (once the model is complete), the drill waits for PgBouncer and every node as well as the cluster.
        FailoverDrillBuilderExtensions.WaitForTargets(drills);
        Assert.Equal(["pg", "pg-1", "pg-2", "pgbouncer"], builder.WaitsFor("drills"));
    }

    [Fact]
    public void DrillsOnAClusterWithoutPgBouncerAreRefusedBeforeAnythingStartsAndSaySo()
    {
        var builder = Model.Builder();
        var drills = builder.AddPatroniCluster("pg", builder.AddEtcdCluster("etcd")).WithFailoverDrills();

        var error = Assert.Throws<HaStackConfigurationException>(() => FailoverDrillBuilderExtensions.WaitForTargets(drills));
        Assert.Contains("cluster.AddPgBouncer", error.Message);
    }

    [Fact]
    public async Task TheServiceProbeTellsTheDrillWhereTheServiceIsAndWhereItsWritesLand()
    {
        var (builder, cluster) = Model.Stack();
        var api = builder.AddContainer("api", "api").WithHttpEndpoint(targetPort: 8080, name: "http");
        var drills = cluster.WithFailoverDrills().WithServiceProbe(api, "POST /orders", "GET /orders/{id}", "orders", "request_id", """{"requestId":"{key}"}""");

        var env = await builder.EnvironmentAsync("failoverdrill");
        Assert.Equal("{api.bindings.http.url}", env["Drill__Service__Url"]);
        Assert.Equal(("POST /orders", "GET /orders/{id}"), (env["Drill__Service__Write"], env["Drill__Service__Read"]));
        Assert.Equal(("orders", "request_id", "id"), (env["Drill__Service__Table"], env["Drill__Service__KeyColumn"], env["Drill__Service__IdProperty"]));
        Assert.Equal("""{"requestId":"{key}"}""", env["Drill__Service__Body"]);
        Assert.Contains(drills.Resource.Annotations.OfType<ResourceRelationshipAnnotation>(), r => r.Resource == api.Resource && r.Type == "Measures");

        string? Refused(Action call) => Assert.Throws<ArgumentException>(call).ParamName;
        Assert.Equal("write", Refused(() => drills.WithServiceProbe(api, "GET /orders", "GET /orders/{id}", "orders", "request_id", "{key}")));
        Assert.Equal("read", Refused(() => drills.WithServiceProbe(api, "POST /orders", "GET /orders", "orders", "request_id", "{key}")));
        Assert.Equal("table", Refused(() => drills.WithServiceProbe(api, "POST /orders", "GET /orders/{id}", Model.Typed("orders;drop table x"), "request_id", "{key}")));
        Assert.Equal("keyColumn", Refused(() => drills.WithServiceProbe(api, "POST /orders", "GET /orders/{id}", "orders", Model.Typed("$(id)"), "{key}")));
        Assert.Equal("body", Refused(() => drills.WithServiceProbe(api, "POST /orders", "GET /orders/{id}", "orders", "request_id", "{}")));
    }

    [Fact]
    public async Task ADrillCommandsOutcomeLineNamesTheMeasuredServicesFigures()
    {
        var (builder, cluster) = Model.Stack();
        var drills = cluster.WithFailoverDrills();
        const string Report = """
            {"kind":"crash","outcome":"passed","oldLeader":"pg-1","newLeader":"pg-2",
             "paths":[{"path":"pooled","rtoSeconds":1.2},{"path":"service","rtoSeconds":2.5}],"check":{"acknowledged":900},
             "service":{"write":"POST /orders","sent":300,"acknowledged":290,"failed":{"503":4,"connection":2},"unknown":4,"longestGapSeconds":2.46,"lost":[],
                        "storedDespiteError":["service#17 key k id 9 (503)"]}}
            """;
        using var response = new HttpResponseMessage(System.Net.HttpStatusCode.OK) { Content = new StringContent(Report) };
        using var http = new HttpClient();

        var result = await DrillCommandResult.ReadAsync(new HttpCommandResultContext
        {
            Services = builder.Services.BuildServiceProvider(),
            ResourceName = drills.Resource.Name,
            Endpoint = drills.Resource.HttpEndpoint,
            CancellationToken = CancellationToken.None,
            HttpClient = http,
            Response = response,
        });

        Assert.True(result.Success);
        Assert.Contains("pooled RTO 1.2 s, service RTO 2.5 s", result.Message);
        Assert.Contains("Service POST /orders: 300 sent, failed 4x 503, 2x connection, 4 unknown, longest gap 2.5 s, 0 lost, 1 stored despite a 5xx.", result.Message);
    }

    [Fact]
    public void EachArgumentIsCheckedWhereItIsGiven()
    {
        var (_, cluster) = Model.Stack();
        Assert.Equal("name", Assert.Throws<ArgumentException>(() => cluster.WithHealthProbe(Model.Typed("probe;rm -rf /"))).ParamName);
        Assert.Equal("name", Assert.Throws<ArgumentException>(() => cluster.WithFailoverDrills(Model.Typed("drills$(id)"))).ParamName);
        cluster.WithHealthProbe();
        Assert.Equal("cluster", Assert.Throws<ArgumentException>(() => cluster.WithHealthProbe("another")).ParamName);
        Assert.Throws<ArgumentNullException>(() => ((IResourceBuilder<PatroniClusterResource>)null!).WithFailoverDrills());
    }

    [Fact]
    public void AnAppHostThatDoesNotNameTheWorkersIsToldWhatToDo()
    {
        // The test host's own entry assembly carries no HaStack.Worker metadata: as an AppHost without the package's targets.
        var builder = DistributedApplication.CreateBuilder(new DistributedApplicationOptions { DisableDashboard = true });
        var cluster = builder.AddPatroniCluster("pg", builder.AddEtcdCluster("etcd"));

        var error = Assert.Throws<HaStackConfigurationException>(() => cluster.WithHealthProbe());
        Assert.Contains("HaStack.Worker.HealthProbe", error.Message);
        Assert.Contains("PackageReference", error.Message);
    }

    [Fact]
    public async Task AlertmanagerTakesTheProbeAsItsReceiverWithTheProbesSecret()
    {
        var (builder, cluster) = Model.Stack();
        cluster.AddPrometheus("prometheus").AddAlertmanager("alertmanager", cluster.WithHealthProbe());

        var env = await builder.EnvironmentAsync("alertmanager");
        Assert.Equal("http://{healthprobe.bindings.alerts.host}:{healthprobe.bindings.alerts.port}/alerts", env["HASTACK_WEBHOOK_URL"]);
        Assert.Equal("{healthprobe-webhook-secret.value}", env["HASTACK_WEBHOOK_TOKEN"]);
    }

    private static async Task<string[]> ArgsAsync(IResource resource)
    {
        var args = new List<object>();
        foreach (var annotation in resource.Annotations.OfType<CommandLineArgsCallbackAnnotation>())
        {
            await annotation.Callback(new CommandLineArgsCallbackContext(args));
        }

        return [.. args.Select(a => a.ToString()!)];
    }
}
