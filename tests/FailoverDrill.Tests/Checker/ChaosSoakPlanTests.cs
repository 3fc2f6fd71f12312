using HaStack.FailoverDrill.Drills;
using HaStack.FailoverDrill.Soak;

namespace FailoverDrill.Tests.Checker;

/// <summary>What makes a soak reproducible and its per-fault split-brain time right; no cluster needed.</summary>
public class ChaosSoakPlanTests
{
    [Fact]
    public void TheSameSeedDrawsTheSameFaultsInTheSameOrderAndAnotherSeedOthers()
    {
        var kinds = ChaosSoak.AllKinds;

        var first = ChaosSoak.Sequence(42, kinds).Take(50).ToList();
        var again = ChaosSoak.Sequence(42, kinds).Take(50).ToList();
        var other = ChaosSoak.Sequence(43, kinds).Take(50).ToList();

        Assert.Equal(first, again);
        Assert.NotEqual(first, other);
        Assert.True(first.Distinct().Count() > 4, "fifty draws should cover most kinds");
    }

    [Fact]
    public void AKindTheOptionsCannotInjectIsNotDrawnAndSaysWhy()
    {
        var target = new DrillTarget([new Uri("http://a:8008")], "Host=a", RestPassword: "x");

        Assert.Null(ChaosSoak.Unsupported(target, DrillKind.Switchover));
        Assert.Null(ChaosSoak.Unsupported(target, DrillKind.Freeze));
        Assert.Equal("no kill and start command", ChaosSoak.Unsupported(target, DrillKind.Crash));
        Assert.Equal("no fault image", ChaosSoak.Unsupported(target, DrillKind.Partition));
        Assert.NotNull(ChaosSoak.Unsupported(target, DrillKind.EtcdQuorumLoss));
    }

    [Fact]
    public void SplitBrainTimeOfAFaultIsTheLongestOverlapInsideItsWindow()
    {
        PrimarySpan[] timeline = [new(0, "pg-1"), new(10, "pg-1+pg-2"), new(12.5, "pg-2"), new(30, "pg-1+pg-2"), new(31, "pg-1")];

        Assert.Equal(2.5, ChaosSoak.LongestOverlap(timeline, 0, 20, 40));
        Assert.Equal(1.0, ChaosSoak.LongestOverlap(timeline, 20, 40, 40));
        Assert.Equal(0.5, ChaosSoak.LongestOverlap(timeline, 12, 20, 40));
        Assert.Equal(0, ChaosSoak.LongestOverlap(timeline, 13, 29, 40));
    }
}
