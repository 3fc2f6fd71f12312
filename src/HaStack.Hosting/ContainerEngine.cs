using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace HaStack.Hosting;

/// <summary>What a container-engine command printed and how it ended (exit code -1: it could not run or timed out).</summary>
internal sealed record EngineResult(int ExitCode, string Output, string Error)
{
    public bool Succeeded => ExitCode == 0;
}

/// <summary>
/// The one way the AppHost runs container-engine commands (<c>docker volume …</c>, <c>docker exec …</c>,
/// <c>docker events</c>): with arguments as a list (never a shell), a timeout, and the engine's CLI named once
/// (<c>ASPIRE_CONTAINER_RUNTIME</c>, Aspire's own setting, default <c>docker</c>).
/// </summary>
internal sealed class ContainerEngine(string executable)
{
    /// <summary>The engine for code that runs while the model is built, before services exist.</summary>
    public static ContainerEngine Shared { get; private set; } = new(Environment.GetEnvironmentVariable("ASPIRE_CONTAINER_RUNTIME") ?? "docker");

    public string Executable { get; } = executable;

    /// <summary>Runs one command to its end: its exit code, stdout and stderr.</summary>
    public async Task<EngineResult> RunAsync(IReadOnlyList<string> arguments, TimeSpan timeout, CancellationToken ct, string? input = null)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(timeout);
        Process process;
        try
        {
            process = Process.Start(StartInfo(arguments, input is not null)) ?? throw new InvalidOperationException($"{Executable} did not start");
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            return new(-1, "", $"{Executable} could not run: {ex.Message}");
        }

        using (process)
        {
            try
            {
                if (input is not null)
                {
                    await process.StandardInput.WriteAsync(input.AsMemory(), limit.Token).ConfigureAwait(false);
                    process.StandardInput.Close();
                }

                var output = process.StandardOutput.ReadToEndAsync(limit.Token);
                var error = process.StandardError.ReadToEndAsync(limit.Token);
                await process.WaitForExitAsync(limit.Token).ConfigureAwait(false);
                return new(process.ExitCode, await output.ConfigureAwait(false), await error.ConfigureAwait(false));
            }
            catch (OperationCanceledException)
            {
                Kill(process);
                if (ct.IsCancellationRequested)
                {
                    throw;
                }

                return new(-1, "", $"{Executable} {string.Join(' ', arguments)} did not finish in {timeout.TotalSeconds:0} s");
            }
        }
    }

    /// <summary>The same, blocking: for the few checks that run while the model is built.</summary>
    public EngineResult Run(params string[] arguments) =>
        RunAsync(arguments, TimeSpan.FromSeconds(30), CancellationToken.None).GetAwaiter().GetResult();

    /// <summary>Each line a long-running command prints (e.g. <c>events</c>), until it ends or <paramref name="ct"/> stops it.</summary>
    public async IAsyncEnumerable<string> StreamAsync(IReadOnlyList<string> arguments, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        using var process = Process.Start(StartInfo(arguments, redirectInput: false)) ?? throw new InvalidOperationException($"{Executable} did not start");
        using var kill = ct.Register(() => Kill(process));
        while (await process.StandardOutput.ReadLineAsync(ct).ConfigureAwait(false) is { } line)
        {
            yield return line;
        }

        var error = await process.StandardError.ReadToEndAsync(ct).ConfigureAwait(false);
        throw new InvalidOperationException($"{Executable} {arguments[0]} ended: {error.Trim()}");
    }

    private ProcessStartInfo StartInfo(IReadOnlyList<string> arguments, bool redirectInput)
    {
        var start = new ProcessStartInfo(Executable)
        {
            RedirectStandardInput = redirectInput,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        return start;
    }

    private static void Kill(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }
}

internal static class ContainerEngineServiceExtensions
{
    public static IServiceCollection AddContainerEngine(this IServiceCollection services)
    {
        services.TryAddSingleton(_ => ContainerEngine.Shared);
        return services;
    }
}
