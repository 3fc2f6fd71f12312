using Npgsql;

namespace OrdersApp.Api;

/// <summary>Creates the orders table at start (idempotent), retrying while the cluster is still settling.</summary>
public sealed class OrdersSchema(NpgsqlDataSource db, TransientRetry retry, ILogger<OrdersSchema> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await retry.RunAsync(async ct =>
        {
            await using var command = db.CreateCommand("""
                CREATE TABLE IF NOT EXISTS orders (
                    id bigserial PRIMARY KEY,
                    request_id uuid NOT NULL UNIQUE,
                    customer text NOT NULL,
                    amount numeric(12, 2) NOT NULL,
                    created_at timestamptz NOT NULL DEFAULT now())
                """);
            await command.ExecuteNonQueryAsync(ct);
            return true;
        }, stoppingToken);
        logger.LogInformation("The orders table is ready");
    }
}
