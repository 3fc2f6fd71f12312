var builder = DistributedApplication.CreateBuilder(args);

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

var api = builder.AddProject<Projects.OrdersApp_Api>("api")
    .WithReference(app).WaitFor(app)
    .WithReference(appReadOnly)
    // The API's retry on transient errors (on unless Orders:Retry=false is given to this AppHost).
    .WithEnvironment("Orders__Retry", builder.Configuration["Orders:Retry"] ?? "true");

// Every drill also measures the API as its clients see it (the report's "service" path): orders posted and read back
// throughout the fault, each acknowledged order then looked up in the orders table by its request id.
drills.WithServiceProbe(api, write: "POST /orders", read: "GET /orders/{id}",
    table: "orders", keyColumn: "request_id",
    body: """{"customer":"hastack-drill","amount":1,"requestId":"{key}"}""");

builder.Build().Run();
