using System.Diagnostics;
using System.Globalization;
using HaStack.HealthProbe.Model;
using Npgsql;

namespace HaStack.HealthProbe.Probing;

/// <summary>
/// One probe of a Patroni cluster, used by the service (every interval) and the CLI (once). A cycle asks, all at once:
/// every member's <c>/patroni</c> and PostgreSQL, one member's <c>/cluster</c> (and <c>/config</c> now and then),
/// etcd's members and PgBouncer; then merges the answers per member and lets <see cref="VerdictRules"/> judge.
/// </summary>
public sealed class ClusterProbe : IAsyncDisposable
{
    private static readonly TimeSpan s_configRefresh = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan s_lsnHistory = TimeSpan.FromMinutes(5);

    private readonly ProbeTargets _targets;
    private readonly ProbeThresholds _thresholds;
    private readonly PatroniClient _patroni;
    private readonly PostgresInspector _postgres;
    private readonly EtcdInspector _etcd;
    private readonly PgBouncerInspector? _pgbouncer;
    private readonly BackupInspector? _backup;
    private readonly TimeProvider _time;
    private readonly string?[] _names;
    private int _preferred;
    private ClusterSettings _settings;
    private DateTimeOffset _settingsAt = DateTimeOffset.MinValue;

    // The leader's WAL position at each cycle: how long a replica has been behind is the age of the oldest position
    // beyond its replay position. PostgreSQL's own clocks (replay_lag, last replayed commit) overstate it after idle.
    private readonly LinkedList<(DateTimeOffset At, long Lsn)> _leaderLsns = new();
    private string? _lsnLeader;

    public ClusterProbe(ProbeTargets targets, ProbeThresholds thresholds, HttpClient http, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(targets);
        ArgumentNullException.ThrowIfNull(thresholds);
        ArgumentNullException.ThrowIfNull(http);
        if (targets.Members.Count == 0)
        {
            throw new ArgumentException("At least one Patroni REST URL is needed.", nameof(targets));
        }

        _targets = targets;
        _thresholds = thresholds;
        _patroni = new PatroniClient(http, requestTimeout: targets.RequestTimeout);
        _postgres = new PostgresInspector(targets.RequestTimeout);
        _etcd = new EtcdInspector(http, targets.RequestTimeout);
        _pgbouncer = targets.PgBouncerMetrics is { } metrics ? new PgBouncerInspector(http, metrics, targets.RequestTimeout) : null;
        // pgbackrest info takes longer than a SQL round trip: its own, longer timeout.
        _backup = targets.Backup is { } backup ? new BackupInspector(backup, TimeSpan.FromSeconds(10)) : null;
        _time = time ?? TimeProvider.System;
        _names = targets.Members.Select(m => m.Name).ToArray();
        _settings = targets.Settings;
    }

    public ProbeThresholds Thresholds => _thresholds;

    public async Task<ProbeReport> RunOnceAsync(CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        var endpoints = _targets.Members;

        var nodeTasks = endpoints.Select(e => AttemptAsync(() => _patroni.GetNodeAsync(e.RestUrl, ct))).ToArray();
        var sqlTasks = endpoints.Select(e => e.ConnectionString is { } cs
            ? AttemptAsync(() => _postgres.InspectAsync(cs, ct, e.DataSource))
            : Task.FromResult(Attempt<SqlView>.None)).ToArray();
        var preferred = _preferred;
        var clusterTask = AttemptAsync(() => _patroni.GetClusterAsync(endpoints[preferred].RestUrl, ct));
        var configTask = _time.GetUtcNow() - _settingsAt > s_configRefresh
            ? AttemptAsync(async () => ToSettings(await _patroni.GetConfigAsync(endpoints[preferred].RestUrl, ct).ConfigureAwait(false)))
            : null;
        var etcdTask = InspectEtcdAsync(ct);
        var pgbouncerTask = InspectPgBouncerAsync(ct);

        var nodes = await Task.WhenAll(nodeTasks).ConfigureAwait(false);
        var sql = await Task.WhenAll(sqlTasks).ConfigureAwait(false);
        var cluster = await clusterTask.ConfigureAwait(false);
        if (cluster.Value is null)
        {
            // The member asked first is gone: ask the others that answered /patroni, and prefer the one that answers.
            for (var i = 0; i < endpoints.Count && cluster.Value is null; i++)
            {
                if (i != preferred && nodes[i].Value is not null)
                {
                    var retry = await AttemptAsync(() => _patroni.GetClusterAsync(endpoints[i].RestUrl, ct)).ConfigureAwait(false);
                    if (retry.Value is not null)
                    {
                        cluster = retry;
                        _preferred = i;
                    }
                }
            }
        }

        if (configTask is not null && (await configTask.ConfigureAwait(false)).Value is { } settings)
        {
            _settings = settings;
            _settingsAt = _time.GetUtcNow();
        }

        var names = ResolveNames(endpoints, nodes, sql, cluster.Value);
        var fallbackSql = await FallbackSqlAsync(names, endpoints, cluster.Value, ct).ConfigureAwait(false);
        var members = Merge(names, endpoints, nodes, sql, fallbackSql, cluster.Value, _time.GetUtcNow());
        var error = ClassifyError(endpoints, nodes, sql.Concat(fallbackSql.Values), cluster);
        var etcd = await etcdTask.ConfigureAwait(false);
        var pgbouncer = await pgbouncerTask.ConfigureAwait(false);
        var leaders = members.Where(m => m.IsLeader && m.Reachable).ToList();
        var backup = _backup is null ? null
            : await _backup.InspectAsync(leaders.Count == 1 ? leaders[0].Name : null, _time.GetUtcNow(), ct).ConfigureAwait(false);

        return VerdictRules.Evaluate(_time.GetUtcNow(), members, _settings, _thresholds, etcd, pgbouncer,
            cluster.Value?.Scope ?? nodes.Select(n => n.Value?.Scope).FirstOrDefault(s => s is not null),
            error, Stopwatch.GetElapsedTime(started).TotalSeconds, cluster.Value?.Paused ?? false, backup);
    }

    private async Task<EtcdStatus?> InspectEtcdAsync(CancellationToken ct) =>
        _targets.Etcd.Count > 0 ? await _etcd.InspectAsync(_targets.Etcd, ct).ConfigureAwait(false) : null;

    private async Task<PgBouncerStatus?> InspectPgBouncerAsync(CancellationToken ct) =>
        _pgbouncer is null ? null : await _pgbouncer.InspectAsync(ct).ConfigureAwait(false);

    private string[] ResolveNames(IReadOnlyList<MemberEndpoint> endpoints, Attempt<PatroniNodeStatus>[] nodes, Attempt<SqlView>[] sql, PatroniClusterView? cluster)
    {
        var names = new string[endpoints.Count];
        var assigned = new HashSet<string>(_names.Where(n => n is not null)!);
        for (var i = 0; i < endpoints.Count; i++)
        {
            if (_names[i] is { } known)
            {
                names[i] = known;
                continue;
            }

            var node = nodes[i].Value;
            // Names that cannot change for this URL are kept; role-based guesses are redone every cycle.
            var stable = node?.Name ?? sql[i].Value?.ApplicationName
                         ?? cluster?.Members.FirstOrDefault(m => SameAuthority(m.ApiUrl, endpoints[i].RestUrl))?.Name;
            if (stable is not null)
            {
                _names[i] = names[i] = stable;
                assigned.Add(stable);
                continue;
            }

            var guess = node is null || cluster is null ? null
                : node.Role == PatroniRole.Leader ? cluster.Leader?.Name
                : cluster.Members.Where(m => !m.IsLeader && !assigned.Contains(m.Name)).Select(m => m.Name).ToList() is [var only] ? only
                : null;
            names[i] = guess ?? endpoints[i].RestUrl.Authority;
            assigned.Add(names[i]);
        }

        return names;
    }

    private async Task<Dictionary<string, Attempt<SqlView>>> FallbackSqlAsync(
        string[] names, IReadOnlyList<MemberEndpoint> endpoints, PatroniClusterView? cluster, CancellationToken ct)
    {
        var result = new Dictionary<string, Attempt<SqlView>>();
        if (_targets.FallbackConnectionString is not { } fallback || cluster is null)
        {
            return result;
        }

        var withOwn = names.Where((_, i) => endpoints[i].ConnectionString is not null).ToHashSet();
        var pending = cluster.Members.Where(m => !withOwn.Contains(m.Name) && m.Host is not null)
            .Select(m =>
            {
                var cs = new NpgsqlConnectionStringBuilder(fallback) { Host = m.Host, Port = m.Port ?? 5432 }.ConnectionString;
                return (m.Name, Task: AttemptAsync(() => _postgres.InspectAsync(cs, ct)));
            }).ToList();
        foreach (var (name, task) in pending)
        {
            result[name] = await task.ConfigureAwait(false);
        }

        return result;
    }

    private List<MemberStatus> Merge(
        string[] names, IReadOnlyList<MemberEndpoint> endpoints, Attempt<PatroniNodeStatus>[] nodes, Attempt<SqlView>[] sql,
        Dictionary<string, Attempt<SqlView>> fallbackSql, PatroniClusterView? cluster, DateTimeOffset now)
    {
        var all = (cluster?.Members.Select(m => m.Name) ?? []).Concat(names).Distinct().Order(StringComparer.Ordinal).ToList();
        int? IndexOf(string name) => Array.IndexOf(names, name) is var i and >= 0 ? i : null;
        Attempt<SqlView> SqlOf(string name) => IndexOf(name) is { } i && endpoints[i].ConnectionString is not null
            ? sql[i]
            : fallbackSql.GetValueOrDefault(name, Attempt<SqlView>.None);

        var leaderName = cluster?.Leader?.Name
                         ?? names.Where((_, i) => nodes[i].Value?.Role == PatroniRole.Leader).FirstOrDefault();
        var leaderSql = leaderName is null ? null : SqlOf(leaderName).Value;
        var leaderNode = leaderName is not null && IndexOf(leaderName) is { } li ? nodes[li].Value : null;
        var leaderStandbys = leaderSql?.Standbys ?? leaderNode?.Replication
            .Select(r => new StandbyStatus(r.ApplicationName, r.ClientAddress, r.State ?? "?", r.SyncState ?? "?", null, null, null, null, null, null)).ToList();
        var leaderLsn = ParseLsn(leaderSql?.CurrentLsn) ?? leaderNode?.WalLocation;
        RecordLeaderLsn(leaderName, leaderSql is null ? null : leaderLsn, now);

        var members = new List<MemberStatus>();
        foreach (var name in all)
        {
            var index = IndexOf(name);
            var nodeAttempt = index is { } i ? nodes[i] : Attempt<PatroniNodeStatus>.None;
            var node = nodeAttempt.Value;
            var sqlAttempt = SqlOf(name);
            var view = sqlAttempt.Value;
            var dcs = cluster?.Members.FirstOrDefault(m => m.Name == name);
            var isLeader = name == leaderName;
            var reachable = index is not null ? node is not null : dcs?.State is "running" or "streaming";

            var standby = isLeader ? null : leaderStandbys?.FirstOrDefault(s => s.Name == name);
            var replayLsn = ParseLsn(view?.ReplayLsn) ?? node?.ReplayedLocation;
            long? lagBytes = isLeader ? 0 : standby?.ReplayLagBytes ?? (leaderLsn - replayLsn) ?? dcs?.LagBytes;
            double? lagSeconds = null;
            if (isLeader)
            {
                lagSeconds = 0;
            }
            else if (standby is not null)
            {
                // A caught-up standby shows its last measured lag for up to wal_receiver_status_interval: ignore it.
                lagSeconds = standby.ReplayLagBytes == 0 ? 0 : standby.ReplayLagSeconds ?? 0;
            }
            else if (leaderStandbys is null && view is { InRecovery: true })
            {
                lagSeconds = view.ReceivedEqualsReplayed ? 0 : view.ReplayAgeSeconds;
            }

            if (!isLeader && view is { InRecovery: true } && ParseLsn(view.ReplayLsn) is { } replayed && SecondsBehind(replayed, now) is { } behind)
            {
                lagSeconds = behind;
            }

            var paused = view?.ReplayPaused ?? node?.ReplayPaused;
            if (!isLeader && standby is null && paused == true && view is { ReceivedEqualsReplayed: false, ReplayAgeSeconds: { } age })
            {
                // Without the leader's view, the age of the last replayed commit is the best bound we have. It
                // overstates the lag after an idle spell, so the leader's replay_lag (which starts counting at the
                // first unreplayed WAL and keeps growing while replay is stuck) is preferred above.
                lagSeconds = Math.Max(lagSeconds ?? 0, age);
            }

            members.Add(new MemberStatus
            {
                Name = name,
                Reachable = reachable,
                SqlReachable = sqlAttempt.Attempted ? view is not null : null,
                Role = dcs?.Role ?? node?.Role,
                State = node?.State ?? dcs?.State,
                Timeline = node?.Timeline ?? dcs?.Timeline,
                InRecovery = view?.InRecovery ?? (node is null ? null : node.Role != PatroniRole.Leader),
                CurrentLsn = view?.CurrentLsn ?? (isLeader ? FormatLsn(node?.WalLocation) : null),
                ReceiveLsn = view?.ReceiveLsn ?? FormatLsn(node?.ReceivedLocation),
                ReplayLsn = view?.ReplayLsn ?? FormatLsn(node?.ReplayedLocation),
                ReplayPaused = isLeader ? null : paused,
                Streaming = isLeader || leaderStandbys is null ? null : standby?.State == "streaming",
                SyncState = standby?.SyncState,
                LagBytes = lagBytes is < 0 ? 0 : lagBytes,
                LagSeconds = lagSeconds is < 0 ? 0 : lagSeconds,
                Standbys = isLeader ? leaderStandbys ?? [] : [],
                Slots = isLeader ? view?.Slots ?? [] : [],
                Archive = isLeader ? view?.Archive : null,
                Error = nodeAttempt.Error?.Message ?? sqlAttempt.Error?.Message
                        ?? (index is null && !reachable ? $"Patroni reports it {dcs?.State ?? "absent"}" : null),
            });
        }

        return members;
    }

    private void RecordLeaderLsn(string? leader, long? lsn, DateTimeOffset now)
    {
        if (leader != _lsnLeader)
        {
            _leaderLsns.Clear();
            _lsnLeader = leader;
        }

        if (lsn is { } position)
        {
            _leaderLsns.AddLast((now, position));
        }

        while (_leaderLsns.First is { } oldest && now - oldest.Value.At > s_lsnHistory)
        {
            _leaderLsns.RemoveFirst();
        }
    }

    /// <summary>
    /// Seconds since the leader first had WAL beyond <paramref name="replayed"/>, from this probe's own samples
    /// (a lower bound, within one interval). Null when no sample shows the replica caught up to a position, e.g. on
    /// the CLI's single cycle: then the leader's <c>replay_lag</c> is used.
    /// </summary>
    private double? SecondsBehind(long replayed, DateTimeOffset now)
    {
        if (_leaderLsns.Last is not { } newest || newest.Value.Lsn <= replayed)
        {
            return _leaderLsns.Count == 0 ? null : 0;
        }

        if (_leaderLsns.First!.Value.Lsn > replayed)
        {
            return null;
        }

        var firstBeyond = _leaderLsns.First(s => s.Lsn > replayed);
        return Math.Max(0, (now - firstBeyond.At).TotalSeconds);
    }

    private static string? ClassifyError(
        IReadOnlyList<MemberEndpoint> endpoints, Attempt<PatroniNodeStatus>[] nodes, IEnumerable<Attempt<SqlView>> sql, Attempt<PatroniClusterView> cluster)
    {
        if (nodes.Select(n => n.Error).FirstOrDefault(e => e?.Misconfigured == true) is { } notPatroni)
        {
            return notPatroni.Message;
        }

        if (nodes.All(n => n.Value is null))
        {
            return endpoints.Count == 1
                ? nodes[0].Error?.Message
                : "no Patroni member answered: " + string.Join("; ", nodes.Select(n => n.Error?.Message));
        }

        if (cluster.Value is null)
        {
            return $"no member answered GET /cluster: {cluster.Error?.Message}";
        }

        return sql.Select(s => s.Error).FirstOrDefault(e => e?.Misconfigured == true)?.Message;
    }

    /// <summary>Patroni's <c>/config</c> over the settings known so far (a key Patroni leaves out keeps its value).</summary>
    private ClusterSettings ToSettings(PatroniDynamicConfig config) => new(
        Ttl: config.Ttl ?? _settings.Ttl,
        LoopWait: config.LoopWait ?? _settings.LoopWait,
        MaximumLagOnFailover: config.MaximumLagOnFailover ?? _settings.MaximumLagOnFailover,
        SynchronousMode: config.SynchronousMode,
        RetryTimeout: config.RetryTimeout ?? _settings.RetryTimeout);

    private static bool SameAuthority(string? apiUrl, Uri restUrl) =>
        Uri.TryCreate(apiUrl, UriKind.Absolute, out var api) && string.Equals(api.Authority, restUrl.Authority, StringComparison.OrdinalIgnoreCase);

    /// <summary><c>16/B374D848</c> → its byte position.</summary>
    public static long? ParseLsn(string? lsn)
    {
        if (lsn?.Split('/') is [var hi, var lo]
            && long.TryParse(hi, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var h)
            && long.TryParse(lo, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var l))
        {
            return (h << 32) | l;
        }

        return null;
    }

    public static string? FormatLsn(long? position) =>
        position is { } p ? string.Create(CultureInfo.InvariantCulture, $"{p >> 32:X}/{p & 0xFFFFFFFF:X}") : null;

    private static async Task<Attempt<T>> AttemptAsync<T>(Func<Task<T>> action)
        where T : class
    {
        try
        {
            return new Attempt<T>(true, await action().ConfigureAwait(false), null);
        }
        catch (ProbeTargetException ex)
        {
            return new Attempt<T>(true, null, ex);
        }
        catch (PatroniApiException ex)
        {
            return new Attempt<T>(true, null, ProbeTargetException.From(ex));
        }
    }

    public ValueTask DisposeAsync() => _postgres.DisposeAsync();

    private readonly record struct Attempt<T>(bool Attempted, T? Value, ProbeTargetException? Error)
        where T : class
    {
        public static Attempt<T> None => new(false, null, null);
    }
}
