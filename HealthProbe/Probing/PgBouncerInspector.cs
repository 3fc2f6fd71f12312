using System.Globalization;
using HaStack.HealthProbe.Model;

namespace HaStack.HealthProbe.Probing;

/// <summary>
/// Reads PgBouncer's pools from the Prometheus exporter that runs beside it (<c>pgbouncer_pools_*</c>, one series per
/// database and user, from <c>SHOW POOLS</c> as the stats-only console user). The probe itself holds no PgBouncer
/// credentials: it reads the exporter's <c>/metrics</c> over HTTP.
/// </summary>
public sealed class PgBouncerInspector(HttpClient http, Uri metricsUrl, TimeSpan timeout)
{
    public async Task<PgBouncerStatus> InspectAsync(CancellationToken ct)
    {
        using var timeoutCts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeoutCts.CancelAfter(timeout);
        try
        {
            var text = await http.GetStringAsync(metricsUrl, timeoutCts.Token).ConfigureAwait(false);
            var samples = PrometheusText.Parse(text);
            // pgbouncer_up is the exporter's own verdict on its last SHOW: 0 when PgBouncer did not answer it.
            if (samples.FirstOrDefault(s => s.Name == "pgbouncer_up") is { } up && up.Value < 1)
            {
                return new PgBouncerStatus(false, [], $"{metricsUrl}: the exporter cannot reach PgBouncer (pgbouncer_up 0)");
            }

            var pools = samples.Where(s => s.Name.StartsWith("pgbouncer_pools_", StringComparison.Ordinal))
                .GroupBy(s => (Database: s.Labels.GetValueOrDefault("database") ?? "?", User: s.Labels.GetValueOrDefault("user") ?? "?"))
                .Select(g =>
                {
                    double Of(string metric) => g.FirstOrDefault(s => s.Name == "pgbouncer_pools_" + metric)?.Value ?? 0;
                    return new PoolStatus(g.Key.Database, g.Key.User,
                        (int)Of("client_active_connections"), (int)Of("client_waiting_connections"),
                        (int)Of("server_active_connections"), (int)Of("server_idle_connections"), (int)Of("server_used_connections"),
                        Of("client_maxwait_seconds"));
                })
                .OrderBy(p => p.Database, StringComparer.Ordinal).ThenBy(p => p.User, StringComparer.Ordinal)
                .ToList();
            return new PgBouncerStatus(true, pools, null);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return new PgBouncerStatus(false, [], $"{metricsUrl}: no answer within {timeout.TotalSeconds:0.#} s");
        }
        catch (HttpRequestException ex)
        {
            return new PgBouncerStatus(false, [], $"{metricsUrl}: {PatroniClient.OneLine(ex)}");
        }
    }
}

/// <summary>One sample of the Prometheus text exposition format: <c>name{label="value",…} value</c>.</summary>
public sealed record PrometheusSample(string Name, IReadOnlyDictionary<string, string> Labels, double Value);

/// <summary>Reads the sample lines of the Prometheus text format (comments and timestamps ignored).</summary>
public static class PrometheusText
{
    public static IReadOnlyList<PrometheusSample> Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var samples = new List<PrometheusSample>();
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            var labels = new Dictionary<string, string>(StringComparer.Ordinal);
            var brace = line.IndexOf('{', StringComparison.Ordinal);
            var space = line.IndexOf(' ', StringComparison.Ordinal);
            string name, rest;
            if (brace >= 0 && (space < 0 || brace < space))
            {
                var close = line.LastIndexOf('}');
                if (close < brace)
                {
                    continue;
                }

                name = line[..brace];
                ReadLabels(line[(brace + 1)..close], labels);
                rest = line[(close + 1)..].Trim();
            }
            else if (space > 0)
            {
                name = line[..space];
                rest = line[(space + 1)..].Trim();
            }
            else
            {
                continue;
            }

            var valueText = rest.Split(' ', 2)[0];
            if (double.TryParse(valueText, NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
            {
                samples.Add(new PrometheusSample(name, labels, value));
            }
        }

        return samples;
    }

    private static void ReadLabels(string text, Dictionary<string, string> labels)
    {
        var i = 0;
        while (i < text.Length)
        {
            var eq = text.IndexOf('=', i);
            if (eq < 0 || eq + 1 >= text.Length || text[eq + 1] != '"')
            {
                return;
            }

            var key = text[i..eq].Trim().TrimStart(',').Trim();
            var value = new System.Text.StringBuilder();
            var j = eq + 2;
            for (; j < text.Length && text[j] != '"'; j++)
            {
                if (text[j] == '\\' && j + 1 < text.Length)
                {
                    j++;
                    value.Append(text[j] == 'n' ? '\n' : text[j]);
                }
                else
                {
                    value.Append(text[j]);
                }
            }

            labels[key] = value.ToString();
            i = j + 1;
        }
    }
}
