using System.Diagnostics.Metrics;
using HaStack.FailoverDrill.Drills;
using Npgsql;

namespace HaStack.FailoverDrill.Service;

/// <summary>Wires the drill service: its target from configuration, and its HTTP endpoints.</summary>
public static class DrillServiceExtensions
{
    public const string SectionName = "Drill";
    public const string PooledConnectionName = "app";
    public const string DirectConnectionName = "app-direct";

    /// <summary>
    /// Reads the target from <c>ConnectionStrings:app</c>, <c>ConnectionStrings:app-direct</c> and the <c>Drill</c>
    /// section (<c>Patroni</c>: a list of REST URLs, <c>Patroni:0</c>, <c>Patroni:1</c>, …; <c>RestUser</c>,
    /// <c>RestPassword</c>; <c>KillCommand</c> and <c>StartCommand</c>: argument lists, <c>KillCommand:0</c> the program;
    /// <c>Containers</c>: a map, <c>Containers:pg-1</c> = its container, for Patroni and etcd members; <c>Engine</c>;
    /// <c>FaultImage</c>; <c>Etcd</c>: a map, <c>Etcd:etcd-1</c> = its metrics URL;
    /// <c>PgBouncerContainer</c> (a switchover pauses PgBouncer there);
    /// <c>HealthProbeUrl</c>; <c>Service</c>: the service a drill measures, see <see cref="ServiceTarget"/>).
    /// </summary>
    public static IHostApplicationBuilder AddDrillService(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var (services, configuration) = (builder.Services, builder.Configuration);

        // Both client paths through keyed Aspire.Npgsql data sources (ConnectionStrings:app, :app-direct): Npgsql's
        // metrics and traces reach the dashboard. Their health checks stay off: the drill refuses, with the reason,
        // when a path is down.
        var settings = new DrillSettings();
        builder.AddKeyedNpgsqlDataSource(PooledConnectionName, s => s.DisableHealthChecks = true, b => LoadGenerator.Configure(b.ConnectionStringBuilder, settings));
        if (configuration.GetConnectionString(DirectConnectionName) is not null)
        {
            builder.AddKeyedNpgsqlDataSource(DirectConnectionName, s => s.DisableHealthChecks = true, b => LoadGenerator.Configure(b.ConnectionStringBuilder, settings));
        }

        services.AddSingleton(sp => ReadTarget(configuration) with
        {
            PooledDataSource = sp.GetRequiredKeyedService<NpgsqlDataSource>(PooledConnectionName),
            DirectDataSource = sp.GetKeyedService<NpgsqlDataSource>(DirectConnectionName),
        });
        services.AddSingleton(settings);
        services.AddSingleton(sp => new DrillMetrics(sp.GetRequiredService<IMeterFactory>().Create(DrillMetrics.Name)));
        services.AddSingleton<DrillCoordinator>();
        // Timeouts are per request (Patroni reads 1.5 s, a switchover 60 s), not the client's.
        // Patroni's REST API is HTTPS with the stack's own CA (HaStack:RootCertificate) unless HaStack:Tls is off.
        var rootCertificate = builder.Configuration[StackTrust.ConfigurationKey];
        services.AddHttpClient(nameof(DrillRunner), http => http.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(() => StackTrust.CreateHandler(rootCertificate));
        return builder;
    }

    /// <summary>
    /// <c>POST /drills/{kind}</c> for every <see cref="DrillKind"/> (202 at once; <c>?wait=true</c>: 200 with the report,
    /// <c>/drills/switchover?switchover=plain</c> without PgBouncer's pause,
    /// 412 when refused; from the host only, with the control secret: <see cref="ControlSecretFilter"/>),
    /// <c>GET /drills/last</c>, <c>GET /drills</c>.
    /// </summary>
    public static WebApplication MapDrillEndpoints(this WebApplication app)
    {
        var control = app.MapGroup("/drills").AddEndpointFilter<ControlSecretFilter>();
        foreach (var kind in Enum.GetValues<DrillKind>())
        {
            control.MapPost($"/{DrillKinds.Name(kind)}", async (bool? wait, string? switchover, DrillCoordinator coordinator) =>
            {
                SwitchoverMode? mode = null;
                if (switchover is not null)
                {
                    if (kind != DrillKind.Switchover)
                    {
                        return Results.Json(new { error = "switchover= is for /drills/switchover only" }, statusCode: StatusCodes.Status400BadRequest);
                    }

                    if (!SwitchoverModes.TryParse(switchover, out var parsed))
                    {
                        return Results.Json(new { error = $"switchover is '{switchover}'; allowed: {SwitchoverModes.Allowed}" }, statusCode: StatusCodes.Status400BadRequest);
                    }

                    mode = parsed;
                }

                var drill = coordinator.TryStart(kind, mode);
                if (drill is null)
                {
                    return Results.Json(new { error = $"a {coordinator.RunningName} {(coordinator.RunningName == "chaos" ? "soak" : "drill")} is already running" }, statusCode: StatusCodes.Status409Conflict);
                }

                if (wait != true)
                {
                    return Results.Json(new { status = "started", kind = DrillKinds.Name(kind), report = "/drills/last" }, statusCode: StatusCodes.Status202Accepted);
                }

                var report = await drill.ConfigureAwait(false);
                var status = report.Outcome == DrillOutcome.Refused ? StatusCodes.Status412PreconditionFailed : StatusCodes.Status200OK;
                return Results.Json(report, DrillReport.JsonOptions, statusCode: status);
            });
        }

        // A chaos soak: random faults for ?duration= (default 10m, up to 24h) drawn from ?seed= (default random).
        app.MapGroup("/soaks").AddEndpointFilter<ControlSecretFilter>().MapPost("/chaos", async (string? duration, int? seed, bool? wait, DrillCoordinator coordinator) =>
        {
            var length = TimeSpan.FromMinutes(10);
            if (duration is not null && !Soak.SoakDuration.TryParse(duration, out length))
            {
                return Results.Json(new { error = $"duration is '{duration}'; {Soak.SoakDuration.Allowed}" }, statusCode: StatusCodes.Status400BadRequest);
            }

            if (seed is < 0)
            {
                return Results.Json(new { error = $"seed is '{seed}'; allowed: a whole number from 0" }, statusCode: StatusCodes.Status400BadRequest);
            }

            var soak = coordinator.TryStartSoak(length, seed ?? Random.Shared.Next());
            if (soak is null)
            {
                return Results.Json(new { error = $"a {coordinator.RunningName} {(coordinator.RunningName == "chaos" ? "soak" : "drill")} is already running" }, statusCode: StatusCodes.Status409Conflict);
            }

            if (wait != true)
            {
                return Results.Json(new { status = "started", kind = "chaos", duration = length.TotalSeconds, report = "/soaks/last" }, statusCode: StatusCodes.Status202Accepted);
            }

            var report = await soak.ConfigureAwait(false);
            return Results.Json(report, DrillReport.JsonOptions, statusCode: report.Outcome == DrillOutcome.Refused ? StatusCodes.Status412PreconditionFailed : StatusCodes.Status200OK);
        });
        app.MapGet("/soaks/last", (DrillCoordinator coordinator) =>
            coordinator.LastSoak is { } last ? Results.Json(last, DrillReport.JsonOptions) : Results.NotFound(new { error = "no soak has run yet" }));
        app.MapGet("/drills/last", (DrillCoordinator coordinator) =>
            coordinator.Last is { } last ? Results.Json(last, DrillReport.JsonOptions) : Results.NotFound(new { error = "no drill has run yet" }));
        app.MapGet("/drills", (DrillCoordinator coordinator) =>
            Results.Json(new { running = coordinator.RunningName, last = coordinator.Last }, DrillReport.JsonOptions));
        return app;
    }

    /// <summary>A hook as an argument list (<c>KillCommand:0</c>, <c>KillCommand:1</c>, …); null when not set.</summary>
    private static IReadOnlyList<string>? Hook(IConfigurationSection section) =>
        section.GetChildren().OrderBy(c => int.TryParse(c.Key, out var i) ? i : int.MaxValue).Select(c => c.Value ?? "").ToList() is { Count: > 0 } list
            ? list
            : null;

    private static DrillTarget ReadTarget(IConfiguration configuration)
    {
        var section = configuration.GetSection(SectionName);
        var pooled = configuration.GetConnectionString(PooledConnectionName)
                     ?? throw new InvalidOperationException("ConnectionStrings:app is not set: the drill needs the pooled read-write path.");
        var urls = (Hook(section.GetSection("Patroni")) ?? []).Select(u => new Uri(u, UriKind.Absolute)).ToList();
        if (urls.Count == 0)
        {
            throw new InvalidOperationException("Drill:Patroni is not set: the drill needs the Patroni REST URLs.");
        }

        var containers = Map(section.GetSection("Containers"));
        return new DrillTarget(
            urls,
            pooled,
            configuration.GetConnectionString(DirectConnectionName),
            section["RestUser"],
            section["RestPassword"],
            Hook(section.GetSection("KillCommand")),
            Hook(section.GetSection("StartCommand")),
            containers,
            section["HealthProbeUrl"] is { Length: > 0 } probe ? new Uri(probe.TrimEnd('/') + "/") : null)
        {
            Engine = section["Engine"] is { Length: > 0 } engine ? engine : "docker",
            FencedFailover = bool.TryParse(section["FencedFailover"], out var fenced) && fenced,
            FaultImage = section["FaultImage"] is { Length: > 0 } image ? image : null,
            PgBouncerContainer = section["PgBouncerContainer"] is { Length: > 0 } pgbouncer ? pgbouncer : null,
            EtcdMembers = Map(section.GetSection("Etcd")).ToDictionary(p => p.Key, p => new Uri(p.Value.TrimEnd('/') + "/", UriKind.Absolute)),
            Service = ReadService(section.GetSection("Service")),
        };
    }

    /// <summary>
    /// The measured service (<c>Drill:Service</c>: <c>Url</c>, <c>Write</c>, <c>Read</c>, <c>Table</c>, <c>KeyColumn</c>,
    /// <c>Body</c>, <c>IdProperty</c>), or null without a <c>Url</c>.
    /// </summary>
    private static ServiceTarget? ReadService(IConfigurationSection section) =>
        section["Url"] is { Length: > 0 } url
            ? ServiceTarget.Create(new Uri(url, UriKind.Absolute), section["Write"] ?? "", section["Read"] ?? "", section["Table"] ?? "",
                section["KeyColumn"] ?? "", section["Body"] ?? "", section["IdProperty"] is { Length: > 0 } id ? id : "id")
            : null;

    /// <summary>A configuration map (<c>Containers:pg-1</c> = …) as a dictionary; empty values are skipped.</summary>
    private static Dictionary<string, string> Map(IConfigurationSection section) =>
        section.GetChildren().Where(c => c.Value is { Length: > 0 }).ToDictionary(c => c.Key, c => c.Value!, StringComparer.Ordinal);
}
