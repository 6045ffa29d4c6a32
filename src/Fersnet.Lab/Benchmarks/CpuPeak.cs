using Fersnet.Evaluation;
using Fersnet.Lab.Reporting;
using Fersnet.Models;
namespace Fersnet.Lab.Benchmarks;

/// <summary>
/// The CPU's peak FP32 rate: cores × clock × FLOPs per cycle, the last from the widest vector unit the CPU reports
/// (AVX-512: 16 lanes, AVX2: 8, SSE: 4) × 2 for fused multiply-add × 2 FMA units (server cores have two).
/// The clock is the higher of the reported one and one measured with a dependent chain of integer operations:
/// virtual machines report the host's nominal clock while the cores run at turbo speed, and a peak below what a
/// convolution achieves would be no ceiling at all.
/// </summary>
public sealed record CpuPeak(int Cores, double GHz, int FlopsPerCycle, string Derivation)
{
    public double Gflops => Cores * GHz * FlopsPerCycle;

    public static CpuPeak Detect(int? threads = null)
    {
        string flags = "", model = "unknown CPU";
        double mhz = 0;
        try
        {
            foreach (var line in File.ReadLines("/proc/cpuinfo"))
            {
                var parts = line.Split(':', 2);
                if (parts.Length < 2) continue;
                string key = parts[0].Trim(), value = parts[1].Trim();
                if (key == "flags" && flags.Length == 0) flags = " " + value + " ";
                else if (key == "model name") model = value;
                else if (key == "cpu MHz" && mhz == 0) double.TryParse(value, System.Globalization.CultureInfo.InvariantCulture, out mhz);
            }
        }
        catch (IOException) { }
        // The model name's nominal clock ("@ 2.10GHz") when present, else what the kernel reports.
        var nominal = System.Text.RegularExpressions.Regex.Match(model, @"@\s*([0-9.]+)\s*GHz");
        double reported = nominal.Success ? double.Parse(nominal.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : mhz / 1000;
        double measured = MeasureClockGHz();
        double ghz = Math.Max(reported, measured);
        string source = measured > reported
            ? $"measured by a dependent integer chain; {(nominal.Success ? "the model name says" : "/proc/cpuinfo says")} {reported:F2}"
            : nominal.Success ? "nominal, from the model name" : "cpu MHz from /proc/cpuinfo";
        (int lanes, string unit) = flags.Contains(" avx512f ") ? (16, "AVX-512") : flags.Contains(" avx2 ") ? (8, "AVX2") : (4, "SSE");
        bool fma = flags.Contains(" fma ") || lanes == 16;
        int perCycle = lanes * (fma ? 2 : 1) * 2;
        int cores = threads ?? Environment.ProcessorCount;
        string derivation = $"{cores} cores × {ghz:F2} GHz ({source}) × {perCycle} FP32 FLOP/cycle " +
                            $"({unit}: {lanes} lanes × {(fma ? "2 (FMA)" : "1")} × 2 units) = {cores * ghz * perCycle:F0} GFLOP/s; CPU: {model}";
        return new CpuPeak(cores, ghz, perCycle, derivation);
    }

    /// <summary>
    /// Cycles per second of one core, from a chain of dependent integer additions and xors: each takes one cycle
    /// on any x86 core and none can start before the previous ends, so the chain runs at exactly one operation per
    /// cycle (the loop's own counter runs alongside). The best of a few tries, to skip scheduler noise.
    /// </summary>
    public static double MeasureClockGHz()
    {
        const long iterations = 20_000_000;
        const int operationsPerIteration = 16;
        double best = 0;
        for (int attempt = 0; attempt < 3; attempt++)
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            long result = DependentChain(iterations, attempt + 3);
            double seconds = clock.Elapsed.TotalSeconds;
            GC.KeepAlive(result);
            best = Math.Max(best, operationsPerIteration * iterations / seconds / 1e9);
        }
        return best;
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static long DependentChain(long iterations, long key)
    {
        long x = key;
        for (long i = 0; i < iterations; i++)
        {
            x += i; x ^= key; x += key; x ^= i; x += i; x ^= key; x += key; x ^= i;
            x += i; x ^= key; x += key; x ^= i; x += i; x ^= key; x += key; x ^= i;
        }
        return x;
    }
}
