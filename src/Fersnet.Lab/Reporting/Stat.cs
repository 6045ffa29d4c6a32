namespace Fersnet.Lab.Reporting;

/// <summary>Median and spread of repeated measurements.</summary>
public sealed record Stat(double Median, double Min, double Max, IReadOnlyList<double> Samples)
{
    public static Stat Of(IReadOnlyList<double> samples)
    {
        var sorted = samples.Order().ToArray();
        double median = sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
        return new Stat(median, sorted[0], sorted[^1], samples);
    }

    /// <summary>Sample standard deviation (n − 1); 0 for fewer than two values.</summary>
    public static double SampleStandardDeviation(IReadOnlyList<double> values)
    {
        if (values.Count < 2) return 0;
        double mean = values.Average();
        return Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1));
    }

    /// <summary>The mean of values that every record may lack (results written before a figure was measured):
    /// null unless every one has it, so that a mean never silently covers only part of the records.</summary>
    public static double? MeanOfAll(IEnumerable<double?> values)
    {
        var all = values.ToArray();
        return all.Length > 0 && all.All(v => v is not null) ? all.Average(v => v!.Value) : null;
    }
}
