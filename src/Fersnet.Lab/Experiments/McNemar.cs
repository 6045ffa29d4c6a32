namespace Fersnet.Lab.Experiments;

/// <summary>
/// McNemar's test of two classifiers scored on the same images: only the images where exactly one of them is right
/// tell them apart (<see cref="OnlyFirstRight"/> against <see cref="OnlySecondRight"/>). Exact two-sided binomial
/// p-value below 50 discordant images, the chi-square with continuity correction above.
/// </summary>
public sealed record McNemar(int Images, int BothRight, int OnlyFirstRight, int OnlySecondRight, int BothWrong, double PValue)
{
    /// <summary>Accuracy of the first minus the second (0..1).</summary>
    public double Difference => Images == 0 ? 0 : (double)(OnlyFirstRight - OnlySecondRight) / Images;

    /// <summary>Compares two sets of predictions of the same images against their true classes.</summary>
    public static McNemar Of(IReadOnlyList<int> actual, IReadOnlyList<int> first, IReadOnlyList<int> second)
    {
        if (first.Count != actual.Count || second.Count != actual.Count)
            throw new ArgumentException($"predictions of {first.Count} and {second.Count} images for {actual.Count} true classes: not the same images");
        int both = 0, onlyFirst = 0, onlySecond = 0, neither = 0;
        for (int i = 0; i < actual.Count; i++)
        {
            bool a = first[i] == actual[i], b = second[i] == actual[i];
            if (a && b) both++; else if (a) onlyFirst++; else if (b) onlySecond++; else neither++;
        }
        return new McNemar(actual.Count, both, onlyFirst, onlySecond, neither, PValueOf(onlyFirst, onlySecond));
    }

    /// <summary>Two-sided p-value of <paramref name="b"/> against <paramref name="c"/> discordant images.</summary>
    public static double PValueOf(int b, int c)
    {
        int n = b + c;
        if (n == 0) return 1;
        if (n < 50)
        {
            // Exact: twice the smaller binomial(n, 1/2) tail, capped at 1.
            int k = Math.Min(b, c);
            double tail = 0;
            for (int i = 0; i <= k; i++) tail += Math.Exp(LogChoose(n, i) - n * Math.Log(2));
            return Math.Min(1, 2 * tail);
        }
        double chi2 = Math.Pow(Math.Abs(b - c) - 1, 2) / n;
        return Erfc(Math.Sqrt(chi2 / 2));                 // chi-square with 1 degree of freedom
    }

    private static double LogChoose(int n, int k) => LogFactorial(n) - LogFactorial(k) - LogFactorial(n - k);

    private static double LogFactorial(int n)
    {
        double sum = 0;
        for (int i = 2; i <= n; i++) sum += Math.Log(i);
        return sum;
    }

    /// <summary>Complementary error function (Numerical Recipes' erfcc, relative error below 1.2e-7).</summary>
    public static double Erfc(double x)
    {
        double z = Math.Abs(x), t = 1 / (1 + 0.5 * z);
        double r = t * Math.Exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806
            + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
        return x >= 0 ? r : 2 - r;
    }
}
