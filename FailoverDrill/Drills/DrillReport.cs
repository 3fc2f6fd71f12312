using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace HaStack.FailoverDrill.Drills;

/// <summary>How a drill ended.</summary>
public enum DrillOutcome
{
    /// <summary>The fault had the effect it must have (failover or none) and every check held.</summary>
    Passed,

    /// <summary>The drill ran but a check failed (or the cluster did not recover in time).</summary>
    Failed,

    /// <summary>The precondition failed: nothing was touched.</summary>
    Refused,
}

/// <summary>What one client path experienced.</summary>
/// <param name="Path"><c>pooled</c> (PgBouncer → leader) or <c>direct</c> (Npgsql multi-host).</param>
/// <param name="RtoSeconds">Fault injected → first write acknowledged by the new leader (a fault without failover: the first write after the longest gap): client-visible RTO.</param>
/// <param name="WriteGapSeconds">Longest stretch without an acknowledged write around the fault.</param>
/// <param name="Acknowledged">Acknowledged writes on this path during the drill.</param>
/// <param name="FailedDuringGap">Writes that failed while no write was acknowledged.</param>
/// <param name="UnknownDuringGap">Writes with an unknown outcome in that stretch.</param>
/// <param name="Lost">Acknowledged writes of this path missing on the new leader.</param>
public sealed record PathReport(
    string Path,
    double? RtoSeconds,
    double? WriteGapSeconds,
    int Acknowledged,
    int FailedDuringGap,
    int UnknownDuringGap,
    int Lost);

/// <summary>Latency of the service's acknowledged writes in one window.</summary>
/// <param name="Calls">Acknowledged writes that started in the window.</param>
/// <param name="P50Milliseconds">Their median latency.</param>
/// <param name="P99Milliseconds">Their 99th percentile.</param>
public sealed record LatencyReport(int Calls, double? P50Milliseconds, double? P99Milliseconds);

/// <summary>What the measured service's callers saw (the <c>service</c> path), and what of it the database holds.</summary>
/// <param name="Write">The write endpoint, e.g. <c>POST /orders</c>.</param>
/// <param name="Read">The read endpoint, e.g. <c>GET /orders/{id}</c>.</param>
/// <param name="Sent">Writes sent during the drill.</param>
/// <param name="Acknowledged">Answered 2xx with the new row's id.</param>
/// <param name="Failed">Failed writes by answer: an HTTP status (<c>500</c>), or <c>connection</c> (none could be opened). A 5xx is indeterminate to the checker: the write may be stored.</param>
/// <param name="Unknown">Writes with no answer in time, a lost connection, or a success without an id.</param>
/// <param name="LongestGapSeconds">The longest stretch between two acknowledged writes, from the last one before the fault until the cluster was healthy again.</param>
/// <param name="Before">Latency before the fault.</param>
/// <param name="During">Latency from the fault until the cluster was healthy again.</param>
/// <param name="Reads">Reads of acknowledged writes back through the service.</param>
/// <param name="Lost">Acknowledged writes whose key the service's table does not hold: <c>service#seq key … id …</c>.</param>
public sealed record ServiceReport(
    string Write,
    string Read,
    int Sent,
    int Acknowledged,
    IReadOnlyDictionary<string, int> Failed,
    int Unknown,
    double? LongestGapSeconds,
    LatencyReport Before,
    LatencyReport During,
    ServiceReads? Reads,
    IReadOnlyList<string> Lost)
{
    /// <summary>
    /// Writes answered with a 5xx that the table holds all the same, described with their status: no loss, but a client
    /// that retried them wrote them twice (the service's answer hid a commit).
    /// </summary>
    public IReadOnlyList<string> StoredDespiteError { get; init; } = [];

    /// <summary>One line of what the callers saw: sent, acknowledged, failed by status, unknown, longest gap, lost.</summary>
    public string Summary() => string.Create(CultureInfo.InvariantCulture,
        $"{Write}: {Sent} sent, {Acknowledged} acknowledged, failed {(Failed.Count == 0 ? "0" : string.Join(", ", Failed.Select(f => $"{f.Value}x {f.Key}")))}, {Unknown} unknown, longest gap {Seconds(LongestGapSeconds)}, lost {Lost.Count}, stored despite a 5xx {StoredDespiteError.Count}");

    /// <summary>One line of latency before and during the fault, and of the reads back through the service.</summary>
    public string LatencySummary() =>
        $"before p50 {Milliseconds(Before.P50Milliseconds)} p99 {Milliseconds(Before.P99Milliseconds)}; during p50 {Milliseconds(During.P50Milliseconds)} p99 {Milliseconds(During.P99Milliseconds)}"
        + (Reads is { } rd ? string.Create(CultureInfo.InvariantCulture, $"; reads {rd.Found} found, {rd.Missing} missing, {rd.Failed} failed") : "");

    private static string Seconds(double? v) => v is { } x ? x.ToString("0.00", CultureInfo.InvariantCulture) + " s" : "-";

    private static string Milliseconds(double? v) => v is { } x ? x.ToString("0", CultureInfo.InvariantCulture) + " ms" : "-";
}

/// <summary>Failover timing as Patroni saw it, from the moment of injection.</summary>
/// <param name="DetectionSeconds">The old leader stopped being Patroni's leader (its lock was released or expired).</param>
/// <param name="NewLeaderSeconds">Another member holds the leader lock and runs.</param>
/// <param name="RejoinSeconds">Healthy again: every member streams from the leader (the old leader after a failover, a lost standby after its restart), etcd healthy.</param>
/// <param name="LeaderLock"><c>expired</c> (held on until its ttl ran out, as after a crash), <c>released</c>, or <c>kept</c> (no failover).</param>
public sealed record FailoverTiming(double? DetectionSeconds, double? NewLeaderSeconds, double? RejoinSeconds, string? LeaderLock);

/// <summary>The fault itself: what it hit, how long it lasted, and whether writes went on meanwhile.</summary>
/// <param name="Expected">What the fault had to do to the leader.</param>
/// <param name="Victims">The members (Patroni or etcd) it hit.</param>
/// <param name="HeldSeconds">Injection → heal.</param>
/// <param name="LeaderChanged">Another member became the leader.</param>
/// <param name="WritesContinued">Every path had writes acknowledged in the last quarter of the fault (e.g. failsafe mode without etcd quorum).</param>
public sealed record FaultReport(FaultEffect Expected, IReadOnlyList<string> Victims, double HeldSeconds, bool LeaderChanged, bool WritesContinued);

/// <summary>A paused switchover's PgBouncer pause, each time from the PAUSE command.</summary>
/// <param name="Database">PgBouncer's database that was paused.</param>
/// <param name="PausedAfterSeconds">In-flight transactions finished: paused.</param>
/// <param name="HandedOverAfterSeconds">Patroni answered the switchover.</param>
/// <param name="PointedAfterSeconds">PgBouncer pointed at the new leader (null: it did not).</param>
/// <param name="PointedAt">The new leader PgBouncer pointed at.</param>
/// <param name="ResumedAfterSeconds">RESUME done: the longest stall a pooled client could see from the pause.</param>
/// <param name="Resumed">PgBouncer accepted the RESUME.</param>
public sealed record ClientPauseReport(string Database, double PausedAfterSeconds, double? HandedOverAfterSeconds, double? PointedAfterSeconds, string? PointedAt, double ResumedAfterSeconds, bool Resumed);

/// <summary>The result of one drill: the table printed at the end of a run, and <c>--json</c>.</summary>
public sealed record DrillReport
{
    public required string RunId { get; init; }
    public required DrillKind Kind { get; init; }
    public DrillOutcome Outcome { get; init; }
    public string? Reason { get; init; }
    public DateTimeOffset StartedAt { get; init; }

    /// <summary>When the fault was injected (wall clock): to line the drill up with what others saw, e.g. an alert.</summary>
    public DateTimeOffset? InjectedAt { get; init; }
    public double DurationSeconds { get; init; }
    public string? OldLeader { get; init; }
    public string? NewLeader { get; init; }
    public long? TimelineBefore { get; init; }
    public long? TimelineAfter { get; init; }
    public bool SynchronousMode { get; init; }
    public int Ttl { get; init; }
    public int LoopWait { get; init; }
    public int RetryTimeout { get; init; }

    /// <summary>Each logical failover slot the old leader had, when the leader changed: on the promoted node before, on the new leader after.</summary>
    public IReadOnlyList<FailoverSlotReport> FailoverSlots { get; init; } = [];

    /// <summary>The leader's PostgreSQL and Patroni versions as it reported them before the fault, e.g. <c>PostgreSQL 18.6, Patroni 4.1.5</c>.</summary>
    public string? Versions { get; init; }

    /// <summary><c>off</c>, <c>on</c>, <c>strict</c> or <c>quorum</c>, as Patroni's /config says.</summary>
    public string? SynchronousModeName { get; init; }
    public string? Injection { get; init; }
    public string? Recovery { get; init; }
    public FailoverTiming? Timing { get; init; }
    public IReadOnlyList<PathReport> Paths { get; init; } = [];
    public CheckResult? Check { get; init; }
    public int? WritablePrimaries { get; init; }
    public FaultReport? Fault { get; init; }

    /// <summary>Switchover: <c>paused</c> (PgBouncer paused around the handover) or <c>plain</c>.</summary>
    public SwitchoverMode? Switchover { get; init; }

    /// <summary>A paused switchover: PgBouncer's pause, handover and resume.</summary>
    public ClientPauseReport? Pause { get; init; }

    /// <summary>Every client path had writes acknowledged after the fault (by the new leader after a failover).</summary>
    public bool? WritesResumed { get; init; }

    /// <summary>Every member streams from the leader again: the old leader after a failover, a lost standby after its restart.</summary>
    public bool? EveryMemberStreaming { get; init; }

    /// <summary>Every etcd member healthy again (null: the drill does not know etcd's members).</summary>
    public bool? EtcdHealthy { get; init; }

    /// <summary>The primary's <c>synchronous_standby_names</c> through the drill (synchronous mode only).</summary>
    public SynchronousReport? Synchronous { get; init; }

    /// <summary>Every node sampled directly through the drill: how long two committed writes at once (must be 0), and who was primary when.</summary>
    public SplitBrainReport? SplitBrain { get; init; }

    /// <summary>The measured service's figures (null: no service was measured).</summary>
    public ServiceReport? Service { get; init; }
    public IReadOnlyList<string> Notes { get; init; } = [];

    public int LostWrites => Check?.Lost.Count ?? 0;

    public int UnknownWrites => Check?.Unknown ?? 0;

    public static JsonSerializerOptions JsonOptions { get; } = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    /// <summary>The human-readable table.</summary>
    public string ToTable()
    {
        var s = new StringBuilder();
        var c = CultureInfo.InvariantCulture;
        s.AppendLine(c, $"FailoverDrill {DrillKinds.Name(Kind)} {RunId}: {Outcome.ToString().ToUpperInvariant()}{(Reason is null ? "" : " - " + Reason)}");
        if (Outcome == DrillOutcome.Refused)
        {
            return s.ToString();
        }

        s.AppendLine(c, $"  leader            {OldLeader ?? "?"} -> {NewLeader ?? "?"}   timeline {TimelineBefore?.ToString(c) ?? "?"} -> {TimelineAfter?.ToString(c) ?? "?"}");
        s.AppendLine(c, $"  cluster           synchronous_mode {SynchronousModeName ?? (SynchronousMode ? "on" : "off")}, ttl {Ttl} s, loop_wait {LoopWait} s, retry_timeout {RetryTimeout} s (read back from Patroni)");
        s.AppendLine(c, $"  platform          {Versions ?? "?"} (the leader's, before the fault)");
        s.AppendLine(c, $"  injected          {Injection}");
        foreach (var slot in FailoverSlots)
        {
            s.AppendLine(c, $"  failover slot     {slot.Describe(NewLeader)}");
        }

        if (Pause is { } pause)
        {
            s.AppendLine(c, $"  client pause      {pause.Database} paused in {pause.PausedAfterSeconds:0.00} s, handed over at {Sec(pause.HandedOverAfterSeconds)}, on {pause.PointedAt ?? "?"} at {Sec(pause.PointedAfterSeconds)}, resumed at {pause.ResumedAfterSeconds:0.00} s");
        }

        if (Fault is { } f)
        {
            s.AppendLine(c, $"  fault             expected {Name(f.Expected)}, held {f.HeldSeconds:0.0} s, leader changed {(f.LeaderChanged ? "yes" : "no")}, writes continued during it {(f.WritesContinued ? "yes" : "no")}");
        }

        if (Timing is { } t)
        {
            s.AppendLine(c, $"  detection         {Sec(t.DetectionSeconds)}   (leader lock {t.LeaderLock ?? "?"})");
            s.AppendLine(c, $"  new leader lock   {Sec(t.NewLeaderSeconds)}");
            s.AppendLine(c, $"  healthy again     {Sec(t.RejoinSeconds)}{(Recovery is null ? "" : "   (" + Recovery + ")")}");
        }

        if (Synchronous is { } sync)
        {
            s.AppendLine(c, $"  synchronous       {(sync.WentAsynchronous ? $"went asynchronous for {sync.AsynchronousSeconds:0.0} s" : "never asynchronous")}: {SyncStandbySampler.Describe(sync.Timeline)}");
        }

        s.AppendLine("  path      RTO       write gap  acked   failed(gap)  unknown(gap)  lost");
        foreach (var p in Paths)
        {
            s.AppendLine(c, $"  {p.Path,-8}  {Sec(p.RtoSeconds),-8}  {Sec(p.WriteGapSeconds),-9}  {p.Acknowledged,6}  {p.FailedDuringGap,11}  {p.UnknownDuringGap,12}  {p.Lost,4}");
        }

        if (Service is { } sv)
        {
            s.AppendLine(c, $"  service           {sv.Summary()}");
            s.AppendLine(c, $"  service latency   {sv.LatencySummary()}");
            foreach (var lost in sv.Lost.Take(10))
            {
                s.AppendLine(c, $"  service lost      {lost}");
            }

            foreach (var stored in sv.StoredDespiteError.Take(10))
            {
                s.AppendLine(c, $"  service 5xx, kept {stored}");
            }
        }

        if (Check is { } k)
        {
            s.AppendLine(c, $"  ledger            {k.Acknowledged} acknowledged, {k.Unknown} unknown ({k.UnknownPresent} committed, {k.UnknownAbsent} absent), {k.Failed} failed");
            s.AppendLine(c, $"  checker           lost {k.Lost.Count}, duplicates {k.Duplicates.Count}, failed-but-present {k.FailedButPresent.Count}, unexpected {k.Unexpected.Count}{(k.Lost.Count > 0 ? "   lost: " + string.Join(' ', k.Lost.Take(10)) : "")}");
        }

        s.AppendLine(c, $"  afterwards        writable primaries {WritablePrimaries?.ToString(c) ?? "?"}, writes resumed {YesNo(WritesResumed)}, every member streaming {YesNo(EveryMemberStreaming)}{(EtcdHealthy is null ? "" : ", etcd healthy " + YesNo(EtcdHealthy))}");
        if (SplitBrain is { } sb)
        {
            s.AppendLine(c, $"  split brain       {sb.LongestSeconds:0.0} s with two primaries taking writes ({sb.Samples} samples); primary: {SplitBrainDetector.Describe(sb.Timeline)}");
        }
        foreach (var note in Notes)
        {
            s.AppendLine(c, $"  note              {note}");
        }

        s.AppendLine(c, $"  duration          {DurationSeconds:0.0} s");
        return s.ToString();

        static string Sec(double? v) => v is { } x ? x.ToString("0.00", CultureInfo.InvariantCulture) + " s" : "-";
        static string YesNo(bool? v) => v switch { true => "yes", false => "NO", null => "?" };
        static string Name(FaultEffect e) => JsonNamingPolicy.KebabCaseLower.ConvertName(e.ToString());
    }
}
