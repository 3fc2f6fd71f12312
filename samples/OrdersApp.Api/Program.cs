using Npgsql;
using OrdersApp.Api;

var builder = WebApplication.CreateBuilder(args);

// Aspire.Npgsql: the pooled read-write database (PgBouncer → leader) and the read-only one (→ replicas).
builder.AddNpgsqlDataSource("app");
builder.AddKeyedNpgsqlDataSource("app-ro");
builder.Services.AddSingleton(new TransientRetry(builder.Configuration.GetValue("Orders:Retry", true)));
builder.Services.AddHostedService<OrdersSchema>();

var app = builder.Build();

// Writes an order. The caller's requestId makes a retried request safe: a commit whose answer was lost is found,
// not written twice.
app.MapPost("/orders", async (NewOrder order, NpgsqlDataSource db, TransientRetry retry, CancellationToken ct) =>
{
    if (string.IsNullOrWhiteSpace(order.Customer) || order.Amount <= 0)
    {
        return Results.ValidationProblem(new Dictionary<string, string[]> { ["order"] = ["customer and a positive amount are required"] });
    }

    var requestId = order.RequestId ?? Guid.NewGuid();
    var id = await retry.RunAsync(async token =>
    {
        await using var command = db.CreateCommand(
            "INSERT INTO orders (request_id, customer, amount) VALUES ($1, $2, $3) ON CONFLICT (request_id) DO NOTHING RETURNING id");
        command.Parameters.Add(new() { Value = requestId });
        command.Parameters.Add(new() { Value = order.Customer });
        command.Parameters.Add(new() { Value = order.Amount });
        if (await command.ExecuteScalarAsync(token) is long inserted)
        {
            return inserted;
        }

        await using var existing = db.CreateCommand("SELECT id FROM orders WHERE request_id = $1");
        existing.Parameters.Add(new() { Value = requestId });
        return (long)(await existing.ExecuteScalarAsync(token))!;
    }, ct);
    return Results.Created($"/orders/{id}", new Order(id, requestId, order.Customer, order.Amount));
});

// Reads an order from a replica. One written a moment ago may not be there yet, and while no replica answers (one
// node left after a failover) reads must still work: the leader is asked then.
app.MapGet("/orders/{id:long}", async (long id, [FromKeyedServices("app-ro")] NpgsqlDataSource replicas, NpgsqlDataSource primary, TransientRetry retry, CancellationToken ct) =>
{
    var order = await retry.RunAsync(async token => await FromReplicaAsync(replicas, id, token) ?? await FindAsync(primary, id, token), ct);
    return order is null ? Results.NotFound() : Results.Ok(order);
});

app.MapGet("/health", () => Results.Ok("Healthy"));

app.Run();

static async Task<Order?> FromReplicaAsync(NpgsqlDataSource replicas, long id, CancellationToken ct)
{
    using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
    limit.CancelAfter(TimeSpan.FromSeconds(2));
    try
    {
        return await FindAsync(replicas, id, limit.Token);
    }
    catch (Exception ex) when (ex is NpgsqlException || (ex is OperationCanceledException && !ct.IsCancellationRequested))
    {
        return null;
    }
}

static async Task<Order?> FindAsync(NpgsqlDataSource db, long id, CancellationToken ct)
{
    await using var command = db.CreateCommand("SELECT request_id, customer, amount FROM orders WHERE id = $1");
    command.Parameters.Add(new() { Value = id });
    await using var reader = await command.ExecuteReaderAsync(ct);
    return await reader.ReadAsync(ct) ? new Order(id, reader.GetGuid(0), reader.GetString(1), reader.GetDecimal(2)) : null;
}
