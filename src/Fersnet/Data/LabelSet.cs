namespace Fersnet.Data;

/// <summary>
/// The classes a model predicts, in index order. Built from the expressions present in the data
/// (7 for CK+ and FER2013, 8 for a dataset with both neutral and contempt) and saved with every model.
/// </summary>
public sealed record LabelSet
{
    public IReadOnlyList<Expression> Classes { get; }

    public LabelSet(IEnumerable<Expression> classes)
    {
        Classes = classes.Distinct().Order().ToArray();
        if (Classes.Count < 2) throw new ArgumentException("a label set needs at least two classes");
    }

    public static LabelSet From(IEnumerable<FaceSample> samples) => new(samples.Select(s => s.Label));

    public int Count => Classes.Count;

    /// <summary>The output index of <paramref name="expression"/>.</summary>
    /// <exception cref="ArgumentException">It is not one of <see cref="Classes"/>; the message lists them.</exception>
    public int IndexOf(Expression expression)
    {
        for (int i = 0; i < Classes.Count; i++)
            if (Classes[i] == expression) return i;
        throw new ArgumentException($"{expression.Name()} is not one of this model's classes ({string.Join(", ", Names)})", nameof(expression));
    }

    /// <summary>For each of these classes, its index in <paramref name="other"/>; -1 where <paramref name="other"/> lacks it.</summary>
    public int[] IndicesIn(LabelSet other) => Classes.Select(e => other.Classes.Contains(e) ? other.IndexOf(e) : -1).ToArray();

    public IReadOnlyList<string> Names => Classes.Select(c => c.Name()).ToArray();

    public bool Equals(LabelSet? other) => other is not null && Classes.SequenceEqual(other.Classes);

    public override int GetHashCode() => Classes.Aggregate(17, (h, c) => h * 31 + (int)c);
}
