namespace Fersnet.Data;

/// <summary>
/// The facial expressions Fersnet knows: the six basic emotions plus neutral and contempt.
/// A dataset uses a subset; its <see cref="LabelSet"/> maps the ones present to class indices.
/// </summary>
public enum Expression
{
    Neutral,
    Anger,
    Contempt,
    Disgust,
    Fear,
    Happiness,
    Sadness,
    Surprise,
}

/// <summary>Canonical names and the aliases that datasets use, in one place.</summary>
public static class Expressions
{
    private static readonly Dictionary<string, Expression> Aliases = new(StringComparer.OrdinalIgnoreCase)
    {
        ["neutral"] = Expression.Neutral, ["ne"] = Expression.Neutral, ["calm"] = Expression.Neutral,
        ["anger"] = Expression.Anger, ["angry"] = Expression.Anger, ["an"] = Expression.Anger,
        ["contempt"] = Expression.Contempt, ["co"] = Expression.Contempt,
        ["disgust"] = Expression.Disgust, ["disgusted"] = Expression.Disgust, ["di"] = Expression.Disgust,
        ["fear"] = Expression.Fear, ["fearful"] = Expression.Fear, ["afraid"] = Expression.Fear, ["scared"] = Expression.Fear, ["fe"] = Expression.Fear,
        ["happiness"] = Expression.Happiness, ["happy"] = Expression.Happiness, ["joy"] = Expression.Happiness, ["ha"] = Expression.Happiness,
        ["sadness"] = Expression.Sadness, ["sad"] = Expression.Sadness, ["sa"] = Expression.Sadness,
        ["surprise"] = Expression.Surprise, ["surprised"] = Expression.Surprise, ["su"] = Expression.Surprise,
    };

    /// <summary>The label name used in every output (probabilities, reports): lower case, as face-api.js and DeepFace users expect.</summary>
    public static string Name(this Expression expression) => expression.ToString().ToLowerInvariant();

    public static bool TryParse(string? text, out Expression expression)
    {
        expression = default;
        return text is not null && Aliases.TryGetValue(text.Trim(), out expression);
    }

    public static Expression Parse(string text) =>
        TryParse(text, out var e) ? e : throw new FormatException($"'{text}' is not an expression name (known: {string.Join(", ", Aliases.Keys)})");

    /// <summary>FER2013's numeric codes in <c>fer2013.csv</c>: 0 angry, 1 disgust, 2 fear, 3 happy, 4 sad, 5 surprise, 6 neutral.</summary>
    public static readonly IReadOnlyList<Expression> Fer2013Codes =
    [
        Expression.Anger, Expression.Disgust, Expression.Fear, Expression.Happiness,
        Expression.Sadness, Expression.Surprise, Expression.Neutral,
    ];
}
