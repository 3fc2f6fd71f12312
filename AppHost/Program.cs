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

// Stacks made before HaStack.Hosting named three passwords differently; their volumes still hold those passwords.
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
var app = pgbouncer.AddDatabase("app");
pgbouncer.AddReadOnlyDatabase("app-ro");

// Observability: Prometheus scrapes every component; Grafana shows it.
var prometheus = cluster.AddPrometheus("prometheus").WaitFor(pgbouncer);
if (options.Grafana)
{
    prometheus.AddGrafana("grafana");
}

// Workers: the HealthProbe judges replication health every second (dashboard health, /status, metrics).
var alertWebhookSecret = builder.AddParameter("alert-webhook-secret", new GenerateParameterDefault { MinLength = 24, Special = false }, secret: true, persist: true)
    .WithDescription("Bearer token Alertmanager sends to the HealthProbe's alert webhook (POST /alerts), which refuses any other.");
var probe = cluster.AddHealthProbe("healthprobe", pgbouncer, alertWebhookSecret);
prometheus.WithScrapeTarget("healthprobe", probe, MetricsEndpointExtensions.EndpointName);

// Alerts: Prometheus' rules go to Alertmanager, which posts every state change to the probe's webhook; the probe logs
// each as one structured line.
prometheus.AddAlertmanager("alertmanager", probe.GetEndpoint(HealthProbeBuilderExtensions.AlertsEndpointName), alertWebhookSecret);

// Workers: on-demand failover drills, gated by the probe's verdict, started only with the control secret.
var failoverDrill = cluster.AddFailoverDrill("failoverdrill", app, probe);
prometheus.WithScrapeTarget("failoverdrill", failoverDrill, MetricsEndpointExtensions.EndpointName);

builder.Build().Run();
return 0;
