using HaStack.AppHost;
using Microsoft.Extensions.DependencyInjection;

var builder = DistributedApplication.CreateBuilder(args);

HaStackOptions options;
try
{
    options = HaStackOptions.Load(builder.Configuration);
}
catch (HaStackConfigurationException ex)
{
    // Stop before any container starts, with the setting and what it allows: no stack trace.
    Console.Error.WriteLine(ex.Message);
    return 2;
}

// Stacks made before HaStack.Hosting named five secrets differently; their volumes and user secrets still hold those values.
HaStackComposition.KeepEarlierParameterNames(builder.Configuration, clusterName: "pg");

builder.Services.AddHostedService<StackReadinessReporter>();
// Containers (Prometheus, Alertmanager) reach the host's .NET services through the engine's gateway, not Aspire's tunnel.
builder.DisableContainerTunnel();

IResourceBuilder<PatroniClusterResource> cluster;
try
{
    // Consensus and database: etcd holds the leader lock of the Patroni cluster, whose nodes each supervise their
    // own PostgreSQL. Every HaStack: setting becomes one fluent call here (HaStackComposition).
    var etcd = builder.AddEtcdCluster("etcd").WithSettings(options);
    cluster = builder.AddPatroniCluster("pg", etcd, scope: options.Name).WithSettings(options);
}
catch (HaStackConfigurationException ex)
{
    Console.Error.WriteLine(ex.Message);
    return 2;
}

// Routing: HAProxy follows the leader by health checks; PgBouncer pools, its read-write database pointed straight at
// the leader (etcd's leader key), its read-only one through HAProxy's replicas.
var router = cluster.AddHAProxy("router");
var pgbouncer = cluster.AddPgBouncer("pgbouncer", router);
pgbouncer.AddDatabase("app");
pgbouncer.AddReadOnlyDatabase("app-ro");

// Observability: Prometheus scrapes every component; Grafana shows it.
var prometheus = cluster.AddPrometheus("prometheus").WaitFor(pgbouncer);
if (options.Grafana)
{
    prometheus.AddGrafana("grafana");
}

// Add-ons: the HealthProbe judges replication health every second (dashboard health, /status, metrics).
var probe = cluster.WithHealthProbe("healthprobe");
prometheus.WithScrapeTarget("healthprobe", probe, MetricsEndpointExtensions.EndpointName);

// Alerts: Prometheus' rules go to Alertmanager, which posts every state change to the probe's webhook; the probe logs
// each as one structured line.
prometheus.AddAlertmanager("alertmanager", probe);

// Add-ons: on-demand failover drills, gated by the probe's verdict, started only with the control secret.
var failoverDrill = cluster.WithFailoverDrills("failoverdrill");
prometheus.WithScrapeTarget("failoverdrill", failoverDrill, MetricsEndpointExtensions.EndpointName);

builder.Build().Run();
return 0;
