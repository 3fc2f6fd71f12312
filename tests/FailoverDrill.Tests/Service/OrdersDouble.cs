using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace FailoverDrill.Tests.Service;

/// <summary>How the stand-in service behaves.</summary>
public enum OrdersDoubleMode
{
    /// <summary>Stores every order it acknowledges.</summary>
    Honest,

    /// <summary>Answers every write with 500.</summary>
    FailsWith500,

    /// <summary>Stores the first orders, then acknowledges every tenth without storing it.</summary>
    LiesEveryTenth,
}

/// <summary>
/// A stand-in for a team's service, in the test project only: <c>POST /orders</c> stores <c>requestId</c> in its own
/// table through the cluster's multi-host connection and answers 201 with the row's id; <c>GET /orders/{id}</c>.
/// It keeps the keys of the orders it acknowledged without storing them: the witness of its own lies.
/// </summary>
public sealed class OrdersDouble : IAsyncDisposable
{
    public const string Table = "drill_test_orders";
    private readonly WebApplication _app;
    private readonly NpgsqlDataSource _db;
    private int _writes;
    private int _acknowledged;
    private long _fakeIds;

    private OrdersDouble(WebApplication app, NpgsqlDataSource db)
    {
        _app = app;
        _db = db;
    }

    public Uri BaseUrl { get; private set; } = null!;

    /// <summary>Writes it answered 201 with an id: what its callers were told was taken.</summary>
    public int Acknowledged => Volatile.Read(ref _acknowledged);

    /// <summary>Keys of orders acknowledged (201 with an id) and never stored.</summary>
    public ConcurrentBag<string> AcknowledgedNotStored { get; } = [];

    public static async Task<OrdersDouble> StartAsync(string connectionString, OrdersDoubleMode mode)
    {
        var db = new NpgsqlDataSourceBuilder(connectionString).BuildMultiHost().WithTargetSession(TargetSessionAttributes.Primary);
        await using (var create = db.CreateCommand($"CREATE TABLE IF NOT EXISTS {Table} (id bigserial PRIMARY KEY, request_id uuid NOT NULL)"))
        {
            await create.ExecuteNonQueryAsync();
        }

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var service = new OrdersDouble(app, db);
        app.MapPost("/orders", async (HttpContext http) =>
        {
            using var body = await System.Text.Json.JsonDocument.ParseAsync(http.Request.Body);
            var key = body.RootElement.GetProperty("requestId").GetString()!;
            var n = Interlocked.Increment(ref service._writes);
            if (mode == OrdersDoubleMode.FailsWith500)
            {
                return Results.Problem("the double fails every write", statusCode: 500);
            }

            if (mode == OrdersDoubleMode.LiesEveryTenth && n > 20 && n % 10 == 0)
            {
                service.AcknowledgedNotStored.Add(key);
                Interlocked.Increment(ref service._acknowledged);
                return Results.Created($"/orders/{-n}", new { id = -Interlocked.Increment(ref service._fakeIds) });
            }

            try
            {
                await using var insert = db.CreateCommand($"INSERT INTO {Table} (request_id) VALUES ($1::uuid) RETURNING id");
                insert.Parameters.Add(new NpgsqlParameter { Value = key });
                var id = (long)(await insert.ExecuteScalarAsync())!;
                Interlocked.Increment(ref service._acknowledged);
                return Results.Created($"/orders/{id}", new { id });
            }
            catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
            {
                return Results.Problem(ex.Message, statusCode: 503);
            }
        });
        app.MapGet("/orders/{id:long}", (long id) => Results.Ok(new { id }));
        await app.StartAsync();
        service.BaseUrl = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        return service;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync();
        await _db.DisposeAsync();
    }
}
