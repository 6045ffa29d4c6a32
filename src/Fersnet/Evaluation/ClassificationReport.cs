using Fersnet.Data;

namespace Fersnet.Evaluation;

/// <summary>Per-class figures of a classification report.</summary>
public sealed record ClassMetrics(string Label, int Support, double Recall, double Precision, double F1);

/// <summary>
/// Accuracy, macro-F1, per-class recall and precision and the confusion matrix (rows: true class,
/// columns: predicted class) of a set of predictions.
/// </summary>
public sealed record ClassificationReport(
    IReadOnlyList<string> Labels,
    int Count,
    double Accuracy,
    double MacroF1,
    IReadOnlyList<ClassMetrics> PerClass,
    int[][] Confusion)
{
    public static ClassificationReport From(IReadOnlyList<int> actual, IReadOnlyList<int> predicted, LabelSet labels)
    {
        if (actual.Count != predicted.Count) throw new ArgumentException("actual and predicted differ in length");
        int k = labels.Count;
        var confusion = Enumerable.Range(0, k).Select(_ => new int[k]).ToArray();
        for (int i = 0; i < actual.Count; i++) confusion[actual[i]][predicted[i]]++;
        int correct = Enumerable.Range(0, k).Sum(c => confusion[c][c]);

        var perClass = new List<ClassMetrics>();
        for (int c = 0; c < k; c++)
        {
            int support = confusion[c].Sum();
            int predictedAs = confusion.Sum(row => row[c]);
            double recall = support == 0 ? 0 : (double)confusion[c][c] / support;
            double precision = predictedAs == 0 ? 0 : (double)confusion[c][c] / predictedAs;
            double f1 = recall + precision == 0 ? 0 : 2 * recall * precision / (recall + precision);
            perClass.Add(new ClassMetrics(labels.Names[c], support, recall, precision, f1));
        }
        // Macro-F1 over the classes present in the data: an absent class has no F1 to speak of.
        var present = perClass.Where(m => m.Support > 0).ToList();
        double macroF1 = present.Count == 0 ? 0 : present.Average(m => m.F1);
        return new ClassificationReport(labels.Names, actual.Count, actual.Count == 0 ? 0 : (double)correct / actual.Count, macroF1, perClass, confusion);
    }
}
