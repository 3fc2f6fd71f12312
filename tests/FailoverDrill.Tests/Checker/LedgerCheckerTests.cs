using HaStack.FailoverDrill.Drills;

namespace FailoverDrill.Tests.Checker;

/// <summary>The drill's own checker, on ledgers crafted to contain each kind of anomaly.</summary>
public class LedgerCheckerTests
{
    private static WriteRecord Write(string path, long seq, WriteOutcome outcome) =>
        new(path, seq, outcome, TimeSpan.FromMilliseconds(seq * 10), TimeSpan.FromMilliseconds(seq * 10 + 5), outcome == WriteOutcome.Acknowledged ? "10.0.0.2" : null);

    private static WriteKey Key(string path, long seq) => new(path, seq);

    [Fact]
    public void EveryAcknowledgedWritePresentIsValid()
    {
        var result = LedgerChecker.Check(
            [Write("pooled", 1, WriteOutcome.Acknowledged), Write("pooled", 2, WriteOutcome.Acknowledged), Write("direct", 1, WriteOutcome.Acknowledged)],
            [Key("pooled", 1), Key("pooled", 2), Key("direct", 1)]);

        Assert.True(result.Valid);
        Assert.Equal(3, result.Acknowledged);
        Assert.Empty(result.Lost);
    }

    [Fact]
    public void AcknowledgedWriteMissingFromTheDatabaseIsReportedAsLost()
    {
        var result = LedgerChecker.Check(
            [Write("pooled", 1, WriteOutcome.Acknowledged), Write("pooled", 2, WriteOutcome.Acknowledged), Write("direct", 7, WriteOutcome.Acknowledged)],
            [Key("pooled", 1)]);

        Assert.False(result.Valid);
        Assert.Equal([Key("direct", 7), Key("pooled", 2)], result.Lost);
    }

    [Fact]
    public void UnknownWriteThatIsAbsentIsNotLost()
    {
        var result = LedgerChecker.Check(
            [Write("pooled", 1, WriteOutcome.Acknowledged), Write("pooled", 2, WriteOutcome.Unknown)],
            [Key("pooled", 1)]);

        Assert.True(result.Valid);
        Assert.Empty(result.Lost);
        Assert.Equal(1, result.Unknown);
        Assert.Equal(1, result.UnknownAbsent);
    }

    [Fact]
    public void UnknownWriteThatCommittedIsAllowedAndCounted()
    {
        var result = LedgerChecker.Check([Write("direct", 1, WriteOutcome.Unknown)], [Key("direct", 1)]);

        Assert.True(result.Valid);
        Assert.Equal(1, result.UnknownPresent);
    }

    [Fact]
    public void WriteStoredTwiceIsReportedAsDuplicate()
    {
        var result = LedgerChecker.Check(
            [Write("pooled", 1, WriteOutcome.Acknowledged), Write("pooled", 2, WriteOutcome.Unknown)],
            [Key("pooled", 1), Key("pooled", 2), Key("pooled", 2)]);

        Assert.False(result.Valid);
        Assert.Equal([Key("pooled", 2)], result.Duplicates);
        Assert.Empty(result.Lost);
    }

    [Fact]
    public void FailedWriteThatIsStoredAndRowsNeverSentAreAnomalies()
    {
        var result = LedgerChecker.Check(
            [Write("pooled", 1, WriteOutcome.Failed)],
            [Key("pooled", 1), Key("pooled", 99)]);

        Assert.False(result.Valid);
        Assert.Equal([Key("pooled", 1)], result.FailedButPresent);
        Assert.Equal([Key("pooled", 99)], result.Unexpected);
    }

    [Fact]
    public void SamePathNumberOnAnotherPathIsADifferentWrite()
    {
        var result = LedgerChecker.Check(
            [Write("pooled", 1, WriteOutcome.Acknowledged), Write("direct", 1, WriteOutcome.Acknowledged)],
            [Key("direct", 1)]);

        Assert.Equal([Key("pooled", 1)], result.Lost);
    }
}
