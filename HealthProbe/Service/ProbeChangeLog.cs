using HaStack.HealthProbe.Model;
using HaStack.HealthProbe.Probing;

namespace HaStack.HealthProbe.Service;

/// <summary>
/// Structured logs on state changes only: verdict, leader, a member's role, a member lost or back, lag crossing a
/// threshold, failover readiness, etcd quorum, PgBouncer reachability. A steady cluster logs nothing.
/// </summary>
internal sealed partial class ProbeChangeLog(ILogger logger, ProbeThresholds thresholds)
{
    private ProbeReport? _previous;

    public void Observe(ProbeReport report)
    {
        var previous = _previous;
        _previous = report;
        if (previous is null)
        {
            LogFirst(logger, report.Verdict, report.Leader ?? "none", string.Join("; ", report.Reasons));
            return;
        }

        if (previous.Verdict != report.Verdict)
        {
            var level = report.Verdict switch { Verdict.Healthy => LogLevel.Information, Verdict.Degraded => LogLevel.Warning, _ => LogLevel.Error };
            LogVerdict(logger, level, previous.Verdict, report.Verdict, string.Join("; ", report.Reasons));
        }

        if (previous.Leader != report.Leader)
        {
            LogLeader(logger, previous.Leader ?? "none", report.Leader ?? "none",
                report.Members.FirstOrDefault(m => m.Name == report.Leader)?.Timeline);
        }

        foreach (var member in report.Members)
        {
            var before = previous.Members.FirstOrDefault(m => m.Name == member.Name);
            if (before is null || before.Reachable != member.Reachable)
            {
                if (member.Reachable)
                {
                    LogMemberBack(logger, member.Name, member.Role ?? "?");
                }
                else
                {
                    LogMemberLost(logger, member.Name, member.Error ?? "no answer");
                }
            }
            else if (before.Role != member.Role && member.Role is not null)
            {
                LogRole(logger, member.Name, before.Role ?? "?", member.Role);
            }

            var lagBefore = LagLevel(before);
            var lagNow = LagLevel(member);
            if (lagBefore != lagNow && member.LagSeconds is not null)
            {
                LogLag(logger, member.Name, member.LagSeconds ?? 0, member.LagBytes ?? 0, lagBefore, lagNow);
            }
        }

        if (previous.FailoverReadiness.Ready != report.FailoverReadiness.Ready)
        {
            LogReadiness(logger, report.FailoverReadiness.Ready, report.FailoverReadiness.Reason);
        }

        if (previous.Etcd?.HasQuorum != report.Etcd?.HasQuorum && report.Etcd is { } etcd)
        {
            LogEtcd(logger, etcd.HasQuorum, etcd.HealthyMembers, etcd.Members.Count);
        }

        if (previous.PgBouncer?.Reachable != report.PgBouncer?.Reachable && report.PgBouncer is { } pgbouncer)
        {
            LogPgBouncer(logger, pgbouncer.Reachable, pgbouncer.Error ?? "");
        }
    }

    private Severity LagLevel(MemberStatus? member) => member?.LagSeconds switch
    {
        null => Severity.Ok,
        var s when s >= thresholds.LagCritical.TotalSeconds => Severity.Critical,
        var s when s >= thresholds.LagWarning.TotalSeconds => Severity.Warning,
        _ => Severity.Ok,
    };

    [LoggerMessage(Level = LogLevel.Information, Message = "First probe: cluster is {Verdict}, leader {Leader}. {Reasons}")]
    private static partial void LogFirst(ILogger logger, Verdict verdict, string leader, string reasons);

    [LoggerMessage(Message = "Cluster verdict changed from {PreviousVerdict} to {Verdict}. {Reasons}")]
    private static partial void LogVerdict(ILogger logger, LogLevel level, Verdict previousVerdict, Verdict verdict, string reasons);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Leader changed from {PreviousLeader} to {Leader} (timeline {Timeline})")]
    private static partial void LogLeader(ILogger logger, string previousLeader, string leader, long? timeline);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Member {Member} lost: {Error}")]
    private static partial void LogMemberLost(ILogger logger, string member, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Member {Member} is back as {Role}")]
    private static partial void LogMemberBack(ILogger logger, string member, string role);

    [LoggerMessage(Level = LogLevel.Information, Message = "Member {Member} changed role from {PreviousRole} to {Role}")]
    private static partial void LogRole(ILogger logger, string member, string previousRole, string role);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Member {Member} replay lag {LagSeconds:0.0} s ({LagBytes} bytes) moved from {PreviousLevel} to {Level}")]
    private static partial void LogLag(ILogger logger, string member, double lagSeconds, long lagBytes, Severity previousLevel, Severity level);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Failover readiness is now {Ready}: {Reason}")]
    private static partial void LogReadiness(ILogger logger, bool ready, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "etcd quorum is now {HasQuorum}: {Healthy}/{Total} members healthy")]
    private static partial void LogEtcd(ILogger logger, bool hasQuorum, int healthy, int total);

    [LoggerMessage(Level = LogLevel.Warning, Message = "PgBouncer reachable is now {Reachable} {Error}")]
    private static partial void LogPgBouncer(ILogger logger, bool reachable, string error);
}
