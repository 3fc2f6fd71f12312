using System.Globalization;

namespace HaStack.FailoverDrill.Soak;

/// <summary>A soak's length as people write it: <c>90s</c>, <c>10m</c>, <c>1h</c> or plain seconds, from 1 s to 24 h.</summary>
public static class SoakDuration
{
    public static readonly TimeSpan Max = TimeSpan.FromHours(24);

    /// <summary>What an invalid value is told.</summary>
    public const string Allowed = "allowed: 1s to 24h, e.g. 90s, 10m, 1h";

    public static bool TryParse(string? text, out TimeSpan duration)
    {
        duration = default;
        text = text?.Trim();
        if (string.IsNullOrEmpty(text))
        {
            return false;
        }

        var (number, scale) = text[^1] switch { 's' => (text[..^1], 1), 'm' => (text[..^1], 60), 'h' => (text[..^1], 3600), _ => (text, 1) };
        if (!double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || value * scale is < 1 or > 24 * 3600)
        {
            return false;
        }

        duration = TimeSpan.FromSeconds(value * scale);
        return true;
    }
}
