using System.Diagnostics;

namespace Fersnet.Lab.Reporting;

/// <summary>Where a figure came from: git commit, machine, date. Every reported number carries it.</summary>
public sealed record Provenance(string? Commit, bool Dirty, string Machine, int Cores, DateTime Utc)
{
    public static Provenance Current(string? repository = null) => new(
        Git("rev-parse --short=12 HEAD", repository),
        !string.IsNullOrEmpty(Git("status --porcelain --untracked-files=no", repository)),
        CpuModel(),
        Environment.ProcessorCount,
        DateTime.UtcNow);

    public override string ToString() =>
        $"{Utc:yyyy-MM-dd HH:mm} UTC, {Cores} cores ({Machine}), commit {Commit ?? "unknown"}{(Dirty ? " (with uncommitted changes)" : "")}";

    private static string? Git(string arguments, string? directory)
    {
        try
        {
            var start = new ProcessStartInfo("git", arguments)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                WorkingDirectory = directory ?? Environment.CurrentDirectory,
            };
            using var process = Process.Start(start);
            if (process is null) return null;
            string output = process.StandardOutput.ReadToEnd().Trim();
            process.WaitForExit();
            return process.ExitCode == 0 ? output : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }

    private static string CpuModel()
    {
        try
        {
            var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            return line?.Split(':', 2)[1].Trim() ?? "unknown CPU";
        }
        catch (IOException)
        {
            return "unknown CPU";
        }
    }
}
