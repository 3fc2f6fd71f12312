var builder = DistributedApplication.CreateBuilder(args);

// Sample:Database picks what the API runs on: HaStack's cluster (the default), or the baseline people have today,
// Aspire's own single-node AddPostgres, to compare the two under the same crash (bench/service/baseline.sh).
var database = builder.Configuration["Sample:Database"] ?? "hastack";
var api = builder.AddProject<Projects.OrdersApp_Api>("api")
    // The API's retry on transient errors (on unless Orders:Retry=false is given to this AppHost).
    .WithEnvironment("Orders__Retry", builder.Configuration["Orders:Retry"] ?? "true");

switch (database)
{
    case "hastack":
        OnHaStack(builder, api);
        break;
    case "postgres":
        OnPostgres(builder, api);
        break;
    default:
        throw new DistributedApplicationException($"Sample:Database is '{database}'; allowed: hastack, postgres");
}

builder.Build().Run();

static void OnHaStack(IDistributedApplicationBuilder builder, IResourceBuilder<ProjectResource> api)
{
    // A PostgreSQL high-availability cluster: etcd holds the leader lock, Patroni runs a leader and a replica.
    var etcd = builder.AddEtcdCluster("etcd");
    var db = builder.AddPatroniCluster("db", etcd)
        .WithReplicas(1)
        .WithTiming(TimingProfile.Fast);

    // PgBouncer follows the leader; HAProxy serves the read-only database from the replicas.
    var router = db.AddHAProxy("db-router");
    var pooler = db.AddPgBouncer("db-pooler", router);
    var app = pooler.AddDatabase("app");
    var appReadOnly = pooler.AddReadOnlyDatabase("app-ro");

    // HaStack's add-ons: the probe's verdict is the cluster's health on the dashboard, and the drills are dashboard
    // commands (crash, switchover, partition, …). The drill API gets a fixed port so that scripts on this machine can
    // call it too, with the db-drills-control-secret parameter as a bearer token.
    db.WithHealthProbe("db-probe");
    var drills = db.WithFailoverDrills("db-drills")
        .WithEndpoint(FailoverDrillResource.HttpEndpointName, endpoint => endpoint.Port = 5290);

    api.WithReference(app).WaitFor(app).WithReference(appReadOnly);

    // Every drill also measures the API as its clients see it (the report's "service" path): orders posted and read back
    // throughout the fault, each acknowledged order then looked up in the orders table by its request id.
    drills.WithServiceProbe(api, write: "POST /orders", read: "GET /orders/{id}",
        table: "orders", keyColumn: "request_id",
        body: """{"customer":"hastack-drill","amount":1,"requestId":"{key}"}""");
}

static void OnPostgres(IDistributedApplicationBuilder builder, IResourceBuilder<ProjectResource> api)
{
    // Aspire.Hosting.PostgreSQL, as its documentation shows it. No registry answers here, so its image is built from
    // Debian's PostgreSQL 17 package with the official image's environment (postgres/); the port is fixed so that
    // FailoverDrill watch on this machine can look the orders up (db-password is the parameter to give it).
    var release = (builder.Configuration["HaStack:BaseImage"] is { Length: > 0 } image ? image : "debian:{release}-slim").Replace("{release}", "trixie", StringComparison.Ordinal);
    var postgres = builder.AddPostgres("db", port: 5291)
        .WithDockerfile("postgres")
        .WithBuildArg("BASE_IMAGE", release)
        .WithContainerName("orders-postgres");
    if (builder.Configuration["Sample:DataVolume"] is "true")
    {
        // Without it the data lives in the container: it survives a kill and a start, not a new container.
        postgres.WithDataVolume("orders-postgres-data");
    }

    var app = postgres.AddDatabase("app");

    // One node: the API's read-only database is the same one.
    api.WithReference(app).WaitFor(app).WithEnvironment("ConnectionStrings__app-ro", app.Resource.ConnectionStringExpression);
}
