using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;

namespace HaStack.Hosting;

/// <summary>Healthy when a client can log in with the connection string and run <c>SELECT 1</c>.</summary>
internal sealed class NpgsqlQueryHealthCheck(ReferenceExpression connectionStringExpression) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var connectionString = await connectionStringExpression.GetValueAsync(cancellationToken).ConfigureAwait(false);
            await using var connection = new NpgsqlConnection(connectionString + ";Pooling=false");
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            await using var command = new NpgsqlCommand("SELECT 1", connection);
            await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
            return HealthCheckResult.Healthy();
        }
        catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException or TimeoutException)
        {
            return HealthCheckResult.Unhealthy(ex.Message);
        }
    }
}
