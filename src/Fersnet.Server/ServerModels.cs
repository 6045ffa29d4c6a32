using System.Reflection;
using Fersnet.Data;
using Fersnet.Imaging;
using Fersnet.Inference;
using Fersnet.Synthesis;
using Fersnet.Training;
using OpenCvSharp;

namespace Fersnet.Server;

/// <summary>The models the server loads once at start: the recogniser (detector + expression network) and the synthesis model.</summary>
public sealed class ServerModels : IDisposable
{
    public ExpressionRecognizer Recognizer { get; }
    public ExpressionSynthesizer Synthesizer { get; }
    public ModelCard Card { get; }

    private ServerModels(ExpressionRecognizer recognizer, ExpressionSynthesizer synthesizer, ModelCard card) =>
        (Recognizer, Synthesizer, Card) = (recognizer, synthesizer, card);

    /// <exception cref="CheckpointException">A checkpoint is missing, damaged or not a model of the kind needed.</exception>
    /// <exception cref="FileNotFoundException">A bundled model file is not installed.</exception>
    public static ServerModels Load(ServeOptions options)
    {
        var recognizer = ExpressionRecognizer.Load(options.Checkpoint, new RecognizerOptions { MaxPixels = options.MaxPixels });
        try
        {
            ExpressionSynthesizer synthesizer;
            try { synthesizer = ExpressionSynthesizer.Load(options.SynthesisCheckpoint); }
            catch (ArgumentException e) { throw new CheckpointException(options.SynthesisCheckpoint ?? ModelFiles.BundledSynthesisModel, e.Message, e); }
            try
            {
                var card = new ModelCard(
                    ModelCard.Describe(recognizer.ModelPath, recognizer.ModelHeader),
                    ModelCard.Describe(synthesizer.ModelPath, synthesizer.ModelHeader),
                    recognizer.Options.Detector.ToString().ToLowerInvariant(),
                    typeof(ServerModels).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == "FersnetCommit")?.Value ?? "unknown");
                return new ServerModels(recognizer, synthesizer, card);
            }
            catch
            {
                synthesizer.Dispose();
                throw;
            }
        }
        catch
        {
            recognizer.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The face in <paramref name="box"/> of <paramref name="photo"/> re-drawn with each target: the crop the model saw
    /// (gray, the model's side) and one image per target. The synthesizer serialises calls on its model itself.
    /// </summary>
    public (Mat Input, IReadOnlyList<Mat> Drawn) Redraw(Mat photo, FaceBox box, IReadOnlyList<Expression> targets)
    {
        var input = Synthesizer.CropFace(photo, box, Recognizer.Options.CropScale);
        try
        {
            return (input, Synthesizer.Synthesize(Enumerable.Repeat(input, targets.Count).ToArray(), targets));
        }
        catch
        {
            input.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        Recognizer.Dispose();
        Synthesizer.Dispose();
    }
}

/// <summary>What <c>GET /api/model</c> tells: each model's own record (from its checkpoint) and the code that serves them.</summary>
/// <param name="Detector">the face detector in use</param>
/// <param name="Commit">git describe of the code at build time</param>
public sealed record ModelCard(ModelDescription Recognition, ModelDescription Synthesis, string Detector, string Commit)
{
    internal static ModelDescription Describe(string path, CheckpointHeader header)
    {
        var best = header.History.FirstOrDefault(h => h.Epoch == header.BestEpoch);
        // The checkpoint's selection metric: validation accuracy when the run had a validation set, else training accuracy.
        var accuracy = best switch
        {
            { ValidationAccuracy: { } v } => new ModelAccuracy(Math.Round(v, 4), "validation", best.Epoch),
            not null => new ModelAccuracy(Math.Round(best.TrainAccuracy, 4), "training", best.Epoch),
            null => null,
        };
        var data = header.Data is { } d
            ? new ModelData(Path.GetFileName(Path.TrimEndingDirectorySeparator(d.Path)), d.TrainSplits,
                d.ValidationSplits ?? (d.ValidationPath is not null ? [Path.GetFileName(d.ValidationPath)] : null),
                d.TrainSplits is null && d.ValidationPath is null ? d.ValidationSplit : null)
            : null;
        return new ModelDescription(Path.GetFileName(path), header.Model.Kind.ToString().ToLowerInvariant(), header.Model.ImageSize,
            header.Labels.Select(l => l.Name()).ToArray(), data, accuracy, header.Epoch, header.SavedUtc);
    }
}

/// <param name="File">the checkpoint's file name</param>
/// <param name="Kind">fersnet, hard or single</param>
/// <param name="ImageSize">side of the faces it reads (pixels, gray)</param>
/// <param name="Classes">the expressions it tells apart or draws, in output order</param>
/// <param name="Data">what trained it, as the checkpoint records it</param>
/// <param name="Accuracy">the figure the training selected its weights on</param>
/// <param name="Epochs">epochs trained</param>
/// <param name="SavedUtc">when the checkpoint was written</param>
public sealed record ModelDescription(string File, string Kind, int ImageSize, IReadOnlyList<string> Classes, ModelData? Data,
    ModelAccuracy? Accuracy, int Epochs, DateTime SavedUtc);

/// <param name="Dataset">the training dataset's folder name</param>
/// <param name="TrainSplits">its named splits trained on (null: its default training split)</param>
/// <param name="ValidationSplits">named splits or folder used for model selection</param>
/// <param name="HeldOutSubjects">else, the share of subjects held out for validation</param>
public sealed record ModelData(string Dataset, IReadOnlyList<string>? TrainSplits, IReadOnlyList<string>? ValidationSplits, double? HeldOutSubjects);

/// <param name="Value">0..1</param>
/// <param name="MeasuredOn">validation (held-out faces) or training (no held-out faces: optimistic)</param>
/// <param name="Epoch">the epoch whose weights the checkpoint holds</param>
public sealed record ModelAccuracy(double Value, string MeasuredOn, int Epoch);
