using System.Diagnostics;
using Xunit.Sdk;

namespace HaStack.Tests.Model;

/// <summary>The suite's bounded wait: what it retries and what it must not swallow. No containers.</summary>
public class WaitTests
{
    [Fact]
    public async Task AFailedAssertionInsideAWaitFailsTheTestAtOnceInsteadOfBeingRetried()
    {
        var attempts = 0;
        var clock = Stopwatch.StartNew();

        await Assert.ThrowsAnyAsync<XunitException>(() => Wait.UntilAsync("never", TimeSpan.FromSeconds(10), _ =>
        {
            attempts++;
            Assert.Fail("a verdict, not a 'not yet'");
            return Task.FromResult(true);
        }));

        Assert.Equal(1, attempts);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"the assertion surfaced only after {clock.Elapsed.TotalSeconds:0.0} s");
    }

    [Fact]
    public async Task AnErrorInsideAWaitIsRetriedAndNamedWhenTheWaitTimesOut()
    {
        var attempts = 0;

        var timeout = await Assert.ThrowsAsync<TimeoutException>(() => Wait.UntilAsync("the server answers", TimeSpan.FromSeconds(1), _ =>
        {
            attempts++;
            throw new InvalidOperationException("connection refused");
        }, TimeSpan.FromMilliseconds(50)));

        Assert.True(attempts > 3, $"only {attempts} attempts in 1 s");
        Assert.Contains("the server answers", timeout.Message);
        Assert.Contains("connection refused", timeout.Message);
    }
}
