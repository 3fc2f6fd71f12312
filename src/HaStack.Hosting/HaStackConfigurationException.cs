namespace Aspire.Hosting;

/// <summary>
/// One or more HaStack settings cannot work; the message names each and what is allowed. Thrown before any container
/// starts, so nothing has been changed.
/// </summary>
/// <param name="errors">Each problem, one sentence each.</param>
public sealed class HaStackConfigurationException(IReadOnlyList<string> errors)
    : Exception("Invalid HaStack configuration:" + Environment.NewLine + string.Join(Environment.NewLine, errors.Select(e => "  - " + e)))
{
    /// <summary>Each problem, one sentence each.</summary>
    public IReadOnlyList<string> Errors { get; } = errors;
}
