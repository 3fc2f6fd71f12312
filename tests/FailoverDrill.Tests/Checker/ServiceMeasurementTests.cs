using HaStack.FailoverDrill.Drills;

namespace FailoverDrill.Tests.Checker;

/// <summary>The service path's figures, from a ledger whose every number is known.</summary>
public class ServiceMeasurementTests
{
    private static readonly ServiceTarget s_service = ServiceTarget.Create(new Uri("http://localhost:5280"), "POST /orders", "GET /orders/{id}", "orders", "request_id", """{"requestId":"{key}"}""");

    [Fact]
    public void FailuresAreCountedByAnswerTheLongestGapSpansTheFaultAndLatencyIsSplitAtIt()
    {
        static WriteRecord Call(long seq, double started, double finished, WriteOutcome outcome = WriteOutcome.Acknowledged, string status = "ok") =>
            new("service", seq, outcome, TimeSpan.FromSeconds(started), TimeSpan.FromSeconds(finished), Status: status);
        WriteRecord[] ledger =
        [
            Call(1, 0.0, 0.010), Call(2, 0.5, 0.520), Call(3, 1.0, 1.030),            // before the fault at 2 s
            Call(4, 2.0, 2.5, WriteOutcome.Unknown, "503"), Call(5, 2.6, 2.7, WriteOutcome.Failed, "connection"),
            Call(6, 2.8, 4.0, WriteOutcome.Unknown, "timeout"), Call(7, 3.0, 3.1, WriteOutcome.Unknown, "503"),
            Call(10, 3.2, 3.3, WriteOutcome.Failed, "409"),
            Call(8, 3.5, 4.2), Call(9, 4.3, 4.35),                                  // acknowledged again: the gap is 1.030 → 4.2
            new("pooled", 1, WriteOutcome.Failed, TimeSpan.FromSeconds(2.1), TimeSpan.FromSeconds(2.2)),
        ];

        var report = DrillMeasurement.MeasureService(ledger, s_service, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(10));

        Assert.Equal(("POST /orders", "GET /orders/{id}"), (report.Write, report.Read));
        // A 5xx is listed among the failed by its status, and only a write with no answer is unknown.
        Assert.Equal((10, 5, 1), (report.Sent, report.Acknowledged, report.Unknown));
        Assert.Equal(new Dictionary<string, int> { ["409"] = 1, ["503"] = 2, ["connection"] = 1 }, report.Failed);
        Assert.Equal(3.17, report.LongestGapSeconds);
        Assert.Equal(new LatencyReport(3, 20, 30), report.Before);
        Assert.Equal(new LatencyReport(2, 50, 700), report.During);
    }

    [Fact]
    public void AStoredWriteAnswered5xxIsIndeterminateButAStoredWriteAnswered4xxIsALie()
    {
        static WriteRecord Call(long seq, WriteOutcome outcome, string status) =>
            new("service", seq, outcome, TimeSpan.FromSeconds(seq), TimeSpan.FromSeconds(seq + 0.1), Status: status);
        WriteRecord[] ledger = [Call(1, WriteOutcome.Acknowledged, "ok"), Call(2, WriteOutcome.Unknown, "500"), Call(3, WriteOutcome.Unknown, "503"), Call(4, WriteOutcome.Failed, "409")];

        Assert.True(ServiceLoad.IsServerError(ledger[1]));
        Assert.False(ServiceLoad.IsServerError(ledger[3]));
        Assert.False(ServiceLoad.IsServerError(Call(5, WriteOutcome.Unknown, "timeout")));

        // 1 and the 500 are stored, the 503 is not: both 5xx are allowed either way.
        var honest = LedgerChecker.Check(ledger, [new("service", 1), new("service", 2)]);
        Assert.True(honest.Valid);
        Assert.Equal((1, 1), (honest.UnknownPresent, honest.UnknownAbsent));

        // The service refused 4 (409) and stored it all the same.
        var lying = LedgerChecker.Check(ledger, [new("service", 1), new("service", 4)]);
        Assert.False(lying.Valid);
        Assert.Equal([new WriteKey("service", 4)], lying.FailedButPresent);
    }

    [Fact]
    public void TheServiceTargetRefusesWhatItCannotUseNamingTheArgument()
    {
        var url = new Uri("http://localhost:5000");
        Assert.Equal("write", Assert.Throws<ArgumentException>(() => ServiceTarget.Create(url, "GET /orders", "GET /orders/{id}", "orders", "request_id", "{key}")).ParamName);
        Assert.Equal("read", Assert.Throws<ArgumentException>(() => ServiceTarget.Create(url, "POST /orders", "GET /orders", "orders", "request_id", "{key}")).ParamName);
        Assert.Equal("table", Assert.Throws<ArgumentException>(() => ServiceTarget.Create(url, "POST /orders", "GET /orders/{id}", "orders; DROP TABLE x", "request_id", "{key}")).ParamName);
        Assert.Equal("keyColumn", Assert.Throws<ArgumentException>(() => ServiceTarget.Create(url, "POST /orders", "GET /orders/{id}", "orders", "$(id)", "{key}")).ParamName);
        Assert.Equal("body", Assert.Throws<ArgumentException>(() => ServiceTarget.Create(url, "POST /orders", "GET /orders/{id}", "orders", "request_id", "{}")).ParamName);
        Assert.Equal("baseUrl", Assert.Throws<ArgumentException>(() => ServiceTarget.Create(new Uri("ftp://x"), "POST /orders", "GET /orders/{id}", "orders", "request_id", "{key}")).ParamName);
    }
}
