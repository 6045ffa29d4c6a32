using Fersnet.Training;
using ScottPlot;
using Fersnet.Evaluation;

namespace Fersnet.Lab.Reporting;

/// <summary>PNG figures of runs and reports (ScottPlot).</summary>
public static class Plots
{
    /// <summary>Loss (left axis) and accuracy (right axis) per epoch.</summary>
    public static void TrainingCurves(IReadOnlyList<EpochMetrics> history, string path, int width = 900, int height = 500)
    {
        var plot = new Plot();
        double[] epochs = history.Select(m => (double)m.Epoch).ToArray();
        var trainLoss = plot.Add.Scatter(epochs, history.Select(m => m.TrainLoss).ToArray());
        trainLoss.LegendText = "train loss (FER)";
        var trainAccuracy = plot.Add.Scatter(epochs, history.Select(m => m.TrainAccuracy * 100).ToArray());
        trainAccuracy.LegendText = "train accuracy %";
        trainAccuracy.Axes.YAxis = plot.Axes.Right;
        if (history.Any(m => m.ValidationAccuracy is not null))
        {
            var withValidation = history.Where(m => m.ValidationAccuracy is not null).ToArray();
            double[] x = withValidation.Select(m => (double)m.Epoch).ToArray();
            var validationLoss = plot.Add.Scatter(x, withValidation.Select(m => m.ValidationLoss!.Value).ToArray());
            validationLoss.LegendText = "validation loss";
            var validationAccuracy = plot.Add.Scatter(x, withValidation.Select(m => m.ValidationAccuracy!.Value * 100).ToArray());
            validationAccuracy.LegendText = "validation accuracy %";
            validationAccuracy.Axes.YAxis = plot.Axes.Right;
        }
        plot.Axes.Bottom.Label.Text = "epoch";
        plot.Axes.Left.Label.Text = "cross-entropy";
        plot.Axes.Right.Label.Text = "accuracy (%)";
        plot.ShowLegend(Alignment.MiddleRight);
        plot.Title("Training curves");
        plot.SavePng(path, width, height);
    }

    /// <summary>Row-normalised confusion matrix (true class per row) with counts and percentages in the cells.</summary>
    public static void ConfusionMatrix(ClassificationReport report, string path, string title = "Confusion matrix")
    {
        int k = report.Labels.Count;
        var shares = new double[k, k];
        for (int r = 0; r < k; r++)
        {
            int support = Math.Max(1, report.Confusion[r].Sum());
            for (int c = 0; c < k; c++) shares[r, c] = 100.0 * report.Confusion[r][c] / support;
        }
        var plot = new Plot();
        var heatmap = plot.Add.Heatmap(shares);
        heatmap.Colormap = new ScottPlot.Colormaps.Blues();
        heatmap.FlipVertically = false;
        for (int r = 0; r < k; r++)
            for (int c = 0; c < k; c++)
            {
                // Heatmap cells are centred on integer coordinates; row 0 drawn at the top.
                var text = plot.Add.Text($"{report.Confusion[r][c]}\n{shares[r, c]:F0}%", c, k - 1 - r);
                text.LabelFontColor = shares[r, c] > 45 ? Colors.Black : Colors.White;   // the Blues colormap runs dark (0) to white (100)
                text.LabelAlignment = Alignment.MiddleCenter;
                text.LabelFontSize = 11;
            }
        double[] positions = Enumerable.Range(0, k).Select(i => (double)i).ToArray();
        plot.Axes.Bottom.SetTicks(positions, report.Labels.ToArray());
        plot.Axes.Left.SetTicks(positions, report.Labels.Reverse().ToArray());
        plot.Axes.Bottom.Label.Text = "predicted";
        plot.Axes.Left.Label.Text = "true";
        plot.Title($"{title} (accuracy {report.Accuracy * 100:F2}%, n={report.Count})");
        plot.Add.ColorBar(heatmap);
        plot.SavePng(path, 140 + 90 * k, 100 + 75 * k);
    }
}
