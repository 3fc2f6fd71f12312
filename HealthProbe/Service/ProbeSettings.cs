using System.Globalization;
using HaStack.HealthProbe.Model;
using HaStack.HealthProbe.Probing;

namespace HaStack.HealthProbe.Service;

/// <summary>
/// The service's configuration (section <c>HealthProbe</c>), as the AppHost sets it:
/// <list type="bullet">
/// <item><c>HealthProbe:Members</c> = <c>pg-1,pg-2</c>: Patroni member names. Each member's REST API is reached by service
/// discovery (<c>https+http://_patroni.pg-1</c>: HTTPS unless HaStack:Tls is off, from <c>services:pg-1:patroni:0</c>) unless <c>HealthProbe:RestUrls:pg-1</c>
/// is set, its PostgreSQL with <c>ConnectionStrings:pg-1</c>.</item>
/// <item><c>HealthProbe:Etcd</c> = <c>etcd-1,…</c>: etcd members, by service discovery of their read-only metrics endpoint (<c>http://_metrics.etcd-1</c>: <c>/health</c>).</item>
/// <item><c>HealthProbe:PgBouncer</c> = <c>pgbouncer</c>: the PgBouncer resource, whose exporter's pools are read by
/// service discovery (<c>http://_metrics.pgbouncer/metrics</c>) unless <c>HealthProbe:PgBouncerMetricsUrl</c> is set.</item>
/// <item><c>HealthProbe:Interval</c>, <c>RequestTimeout</c>, <c>LagWarningSeconds</c>, <c>LagCriticalSeconds</c>, and the
/// fallbacks used until Patroni's /config answers: <c>Ttl</c>, <c>LoopWait</c>, <c>MaximumLagOnFailover</c>,
/// <c>SynchronousMode</c>.</item>
/// </list>
/// </summary>
public sealed record ProbeSettings(ProbeTargets Targets, ProbeThresholds Thresholds, TimeSpan Interval)
{
    public const string SectionName = "HealthProbe";

    public static ProbeSettings FromConfiguration(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var section = configuration.GetSection(SectionName);
        var names = List(section["Members"]);
        if (names.Count == 0)
        {
            throw new InvalidOperationException($"{SectionName}:Members is empty: name the Patroni members to probe, e.g. pg-1,pg-2.");
        }

        var defaults = ClusterSettings.Default;
        var thresholds = new ProbeThresholds();
        var settings = new ClusterSettings(
            Ttl: section.GetValue("Ttl", defaults.Ttl),
            LoopWait: section.GetValue("LoopWait", defaults.LoopWait),
            MaximumLagOnFailover: section.GetValue("MaximumLagOnFailover", defaults.MaximumLagOnFailover),
            SynchronousMode: section.GetValue("SynchronousMode", defaults.SynchronousMode),
            RetryTimeout: section.GetValue("RetryTimeout", defaults.RetryTimeout));
        var targets = new ProbeTargets
        {
            Members = names.Select(n => new MemberEndpoint(n,
                Slash(section[$"RestUrls:{n}"] ?? $"https+http://_patroni.{n}"),
                configuration.GetConnectionString(n))).ToList(),
            PgBouncerMetrics = section["PgBouncerMetricsUrl"] is { Length: > 0 } metricsUrl ? new Uri(metricsUrl)
                : section["PgBouncer"] is { Length: > 0 } pgbouncer ? new Uri($"http://_metrics.{pgbouncer}/metrics") : null,
            Etcd = List(section["Etcd"]).Select(n => (n, Slash(section[$"EtcdUrls:{n}"] ?? $"http://_metrics.{n}"))).ToList(),
            Backup = BackupTargetFrom(section.GetSection("Backup")),
            Settings = settings,
            RequestTimeout = Seconds(section, "RequestTimeoutSeconds", 2),
        };
        return new ProbeSettings(
            targets,
            thresholds with
            {
                LagWarning = Seconds(section, "LagWarningSeconds", thresholds.LagWarning.TotalSeconds),
                LagCritical = Seconds(section, "LagCriticalSeconds", thresholds.LagCritical.TotalSeconds),
            },
            Seconds(section, "IntervalSeconds", 1));
    }

    /// <summary>
    /// <c>HealthProbe:Backup:Stanza</c>, <c>ScheduleSeconds</c> (absent: no schedule) and <c>Containers:pg-1</c> = its
    /// container; null without a stanza.
    /// </summary>
    private static BackupTarget? BackupTargetFrom(IConfigurationSection backup)
    {
        if (backup["Stanza"] is not { Length: > 0 } stanza)
        {
            return null;
        }

        var containers = backup.GetSection("Containers").GetChildren().Where(c => c.Value is { Length: > 0 }).ToDictionary(c => c.Key, c => c.Value!);
        TimeSpan? schedule = backup["ScheduleSeconds"] is { Length: > 0 } ? Seconds(backup, "ScheduleSeconds", 3600) : null;
        return new BackupTarget(containers, stanza, schedule);
    }

    private static List<string> List(string? value) =>
        (value ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();

    private static TimeSpan Seconds(IConfigurationSection section, string key, double fallback)
    {
        var raw = section[key];
        if (string.IsNullOrWhiteSpace(raw))
        {
            return TimeSpan.FromSeconds(fallback);
        }

        return double.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds > 0
            ? TimeSpan.FromSeconds(seconds)
            : throw new InvalidOperationException($"{SectionName}:{key} is '{raw}'; allowed: a positive number of seconds.");
    }

    /// <summary>A base URL ending in '/', so relative paths append instead of replacing its last segment.</summary>
    public static Uri Slash(string url) => new(url.EndsWith('/') ? url : url + "/");
}
