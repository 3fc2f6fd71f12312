using System.Collections.Concurrent;
using System.Runtime.CompilerServices;

namespace HaStack.FailoverDrill.Drills;

/// <summary>What the client knows about one write once its call returned.</summary>
public enum WriteOutcome
{
    /// <summary>The server confirmed the commit.</summary>
    Acknowledged,

    /// <summary>Nothing was committed: the connection could not be opened, or the server rejected the statement.</summary>
    Failed,

    /// <summary>
    /// The commit may or may not have happened: timeout, connection lost after the statement was sent, a fatal error
    /// mid-commit, or a warning that the commit happened locally but was not replicated. Never an acknowledgement.
    /// </summary>
    Unknown,
}

/// <summary>One numbered write of one client path (<c>pooled</c>, <c>direct</c> or <c>service</c>).</summary>
/// <param name="Path">The client path the write went through.</param>
/// <param name="Seq">The write's number, unique within its path and drill run.</param>
/// <param name="Outcome">What the client was told.</param>
/// <param name="Started">When the call began, since the drill's start.</param>
/// <param name="Finished">When the call returned, since the drill's start.</param>
/// <param name="Server">The server address that acknowledged it (<c>inet_server_addr()</c>), when acknowledged.</param>
/// <param name="Error">Why it failed or is unknown.</param>
/// <param name="Status">The service path's answer in one word: <c>ok</c>, an HTTP status (<c>500</c>), <c>connection</c>, <c>broken</c>, <c>timeout</c> or <c>no-id</c>.</param>
public sealed record WriteRecord(string Path, long Seq, WriteOutcome Outcome, TimeSpan Started, TimeSpan Finished, string? Server = null, string? Error = null, string? Status = null)
{
    public WriteKey Key => new(Path, Seq);
}

/// <summary>A write's identity: its path and number.</summary>
public readonly record struct WriteKey(string Path, long Seq)
{
    public override string ToString() => $"{Path}#{Seq}";
}

/// <summary>The client-side history of a drill's writes: every attempt, numbered per path, with its outcome.</summary>
public sealed class WriteLedger
{
    private readonly ConcurrentQueue<WriteRecord> _records = new();
    private readonly ConcurrentDictionary<string, StrongBox<long>> _sequences = new();

    /// <summary>The next number for <paramref name="path"/> (1, 2, …).</summary>
    public long NextSeq(string path) => Interlocked.Increment(ref _sequences.GetOrAdd(path, _ => new StrongBox<long>(0)).Value);

    public void Record(WriteRecord record) => _records.Enqueue(record);

    /// <summary>Every record so far, in completion order.</summary>
    public IReadOnlyList<WriteRecord> Snapshot() => [.. _records];
}
