using Fersnet.Data;
using static TorchSharp.torch;

namespace Fersnet.Training;

/// <summary>Targets of one synthesis batch, and where known a real face of the same subject showing the target.</summary>
/// <param name="Targets">(B) class indices of the expressions to draw</param>
/// <param name="References">(B,1,H,W) for each face, a real face of its subject with the target expression (the face
/// itself where there is none)</param>
/// <param name="HasReference">(B) 1 where <paramref name="References"/> holds such a face, else 0</param>
public sealed record SynthesisTargets(Tensor Targets, Tensor References, Tensor HasReference);

/// <summary>
/// Which real faces of the same subject show which expression, for the paired loss: CK+ subjects posed several
/// expressions (one sequence each), so a face re-drawn with one of its subject's other expressions can be compared with
/// the real thing. Built from a training set's subjects; faces without a subject never pair.
/// </summary>
public sealed class PairedFaces
{
    private readonly long[] _labels;
    private readonly int _classes;
    // For each face: the indices of its subject's faces, class by class (empty arrays where the subject lacks the class).
    private readonly int[][][] _bySubjectClass;

    private PairedFaces(long[] labels, int classes, int[][][] bySubjectClass) => (_labels, _classes, _bySubjectClass) = (labels, classes, bySubjectClass);

    /// <summary>Null when no subject shows two expressions (nothing to pair, e.g. FER2013).</summary>
    public static PairedFaces? For(FaceTensorSet set)
    {
        var labels = set.Labels.data<long>().ToArray();
        int classes = set.LabelSet.Count;
        var perSubject = new Dictionary<string, int[][]>();
        foreach (var group in Enumerable.Range(0, set.Count).Where(i => set.Samples[i].Subject is not null).GroupBy(i => set.Samples[i].Subject!))
            perSubject[group.Key] = Enumerable.Range(0, classes).Select(c => group.Where(i => labels[i] == c).ToArray()).ToArray();
        if (!perSubject.Values.Any(byClass => byClass.Count(faces => faces.Length > 0) >= 2)) return null;
        int[][] none = Enumerable.Range(0, classes).Select(_ => Array.Empty<int>()).ToArray();
        var table = Enumerable.Range(0, set.Count).Select(i => set.Samples[i].Subject is { } s ? perSubject[s] : none).ToArray();
        return new PairedFaces(labels, classes, table);
    }

    /// <summary>
    /// Draws each face's target: with probability <paramref name="share"/>, one of the other expressions its subject
    /// shows (and a real face of it as reference); otherwise, or when the subject shows no other, uniformly among all.
    /// </summary>
    /// <param name="indices">the batch's faces, as indices of the set this was built from</param>
    /// <returns>per face: the target class, and the reference face's index or -1</returns>
    public (long[] Targets, int[] References) Draw(IReadOnlyList<long> indices, double share, Generator generator)
    {
        using var uniforms = rand([indices.Count, 3], generator: generator);   // (B,3): pair?, which target, which face
        var u = uniforms.data<float>().ToArray();
        var targets = new long[indices.Count];
        var references = new int[indices.Count];
        for (int b = 0; b < indices.Count; b++)
        {
            long face = indices[b];
            var byClass = _bySubjectClass[face];
            var others = Enumerable.Range(0, _classes).Where(c => c != _labels[face] && byClass[c].Length > 0).ToArray();
            if (u[3 * b] < share && others.Length > 0)
            {
                int target = others[Math.Min((int)(u[3 * b + 1] * others.Length), others.Length - 1)];
                var candidates = byClass[target];
                targets[b] = target;
                references[b] = candidates[Math.Min((int)(u[3 * b + 2] * candidates.Length), candidates.Length - 1)];
            }
            else
            {
                targets[b] = Math.Min((int)(u[3 * b + 1] * _classes), _classes - 1);
                var candidates = byClass[(int)targets[b]];
                // The own expression is the identity loss's case, not a pair.
                references[b] = targets[b] != _labels[face] && candidates.Length > 0
                    ? candidates[Math.Min((int)(u[3 * b + 2] * candidates.Length), candidates.Length - 1)] : -1;
            }
        }
        return (targets, references);
    }
}
