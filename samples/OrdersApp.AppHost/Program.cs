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

builder.AddProject<Projects.OrdersApp_Api>("api")
    .WithReference(app).WaitFor(app)
    .WithReference(appReadOnly);

builder.Build().Run();
