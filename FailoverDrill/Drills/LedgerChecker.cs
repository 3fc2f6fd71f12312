namespace HaStack.FailoverDrill.Drills;

/// <summary>The checker's verdict on a drill's writes (Jepsen's set checker, plus duplicates).</summary>
/// <param name="Acknowledged">Writes the client was told were committed.</param>
/// <param name="Unknown">Writes with an unknown outcome.</param>
/// <param name="Failed">Writes that definitely failed.</param>
/// <param name="Lost">Acknowledged writes missing from the database: data loss.</param>
/// <param name="Duplicates">Writes stored more than once.</param>
/// <param name="UnknownPresent">Unknown writes that turned out to be committed (allowed).</param>
/// <param name="UnknownAbsent">Unknown writes that are not there (allowed: never acknowledged).</param>
/// <param name="FailedButPresent">Writes reported as failed yet stored: the client was told something false.</param>
/// <param name="Unexpected">Stored writes the client never attempted.</param>
public sealed record CheckResult(
    int Acknowledged,
    int Unknown,
    int Failed,
    IReadOnlyList<WriteKey> Lost,
    IReadOnlyList<WriteKey> Duplicates,
    int UnknownPresent,
    int UnknownAbsent,
    IReadOnlyList<WriteKey> FailedButPresent,
    IReadOnlyList<WriteKey> Unexpected)
{
    /// <summary>No loss, no duplicate, no phantom: what a drill must show.</summary>
    public bool Valid => Lost.Count == 0 && Duplicates.Count == 0 && FailedButPresent.Count == 0 && Unexpected.Count == 0;
}

/// <summary>
/// Compares the client's ledger with what the database holds. Lost = acknowledged and missing; a write whose outcome was
/// unknown is never a loss, present or not.
/// </summary>
public static class LedgerChecker
{
    public static CheckResult Check(IEnumerable<WriteRecord> ledger, IEnumerable<WriteKey> stored)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        ArgumentNullException.ThrowIfNull(stored);

        var storedCounts = new Dictionary<WriteKey, int>();
        foreach (var key in stored)
        {
            storedCounts[key] = storedCounts.GetValueOrDefault(key) + 1;
        }

        var attempts = new Dictionary<WriteKey, WriteOutcome>();
        foreach (var record in ledger)
        {
            // A number is used once; if a caller recorded it twice, the strongest claim (acknowledged) counts.
            attempts[record.Key] = attempts.TryGetValue(record.Key, out var previous) && previous == WriteOutcome.Acknowledged
                ? previous
                : record.Outcome;
        }

        var lost = new List<WriteKey>();
        var failedButPresent = new List<WriteKey>();
        int acknowledged = 0, unknown = 0, failed = 0, unknownPresent = 0, unknownAbsent = 0;
        foreach (var (key, outcome) in attempts)
        {
            var present = storedCounts.ContainsKey(key);
            switch (outcome)
            {
                case WriteOutcome.Acknowledged:
                    acknowledged++;
                    if (!present)
                    {
                        lost.Add(key);
                    }

                    break;
                case WriteOutcome.Unknown:
                    unknown++;
                    if (present)
                    {
                        unknownPresent++;
                    }
                    else
                    {
                        unknownAbsent++;
                    }

                    break;
                default:
                    failed++;
                    if (present)
                    {
                        failedButPresent.Add(key);
                    }

                    break;
            }
        }

        var duplicates = storedCounts.Where(kv => kv.Value > 1).Select(kv => kv.Key).OrderBy(k => k.Path).ThenBy(k => k.Seq).ToList();
        var unexpected = storedCounts.Keys.Where(k => !attempts.ContainsKey(k)).OrderBy(k => k.Path).ThenBy(k => k.Seq).ToList();
        return new CheckResult(acknowledged, unknown, failed,
            [.. lost.OrderBy(k => k.Path).ThenBy(k => k.Seq)], duplicates, unknownPresent, unknownAbsent,
            [.. failedButPresent.OrderBy(k => k.Path).ThenBy(k => k.Seq)], unexpected);
    }
}
