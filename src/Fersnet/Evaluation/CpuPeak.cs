namespace Fersnet.Evaluation;

/// <summary>
/// The CPU's peak FP32 rate: cores × clock × FLOPs per cycle, the last from the widest vector unit the CPU reports
/// (AVX-512: 16 lanes, AVX2: 8, SSE: 4) × 2 for fused multiply-add × 2 FMA units (server cores have two).
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
        double ghz = nominal.Success ? double.Parse(nominal.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : mhz / 1000;
        (int lanes, string unit) = flags.Contains(" avx512f ") ? (16, "AVX-512") : flags.Contains(" avx2 ") ? (8, "AVX2") : (4, "SSE");
        bool fma = flags.Contains(" fma ") || lanes == 16;
        int perCycle = lanes * (fma ? 2 : 1) * 2;
        int cores = threads ?? Environment.ProcessorCount;
        string derivation = $"{cores} cores × {ghz:F2} GHz ({(nominal.Success ? "nominal, from the model name" : "cpu MHz from /proc/cpuinfo")}) × {perCycle} FP32 FLOP/cycle " +
                            $"({unit}: {lanes} lanes × {(fma ? "2 (FMA)" : "1")} × 2 units) = {cores * ghz * perCycle:F0} GFLOP/s; CPU: {model}";
        return new CpuPeak(cores, ghz, perCycle, derivation);
    }
}
