using System.Text.Json.Serialization;

namespace Fersnet.Inference;

/// <summary>A face's box as written in <see cref="FaceRecord"/>.</summary>
public sealed record FaceRecordBox(
    [property: JsonPropertyName("x")] int X,
    [property: JsonPropertyName("y")] int Y,
    [property: JsonPropertyName("width")] int Width,
    [property: JsonPropertyName("height")] int Height);

/// <summary>
/// One face as <c>fersnet predict --format json</c> writes it and <c>POST /api/predict</c> answers it: the file, the face's
/// number in it (1 = the detector's most confident), its box, the detection score and the most probable expressions,
/// rounded to 4 decimals. The names are fixed by the attributes, whatever serializer options are in use.
/// </summary>
public sealed record FaceRecord(
    [property: JsonPropertyName("file")] string File,
    [property: JsonPropertyName("face")] int Face,
    [property: JsonPropertyName("box")] FaceRecordBox Box,
    [property: JsonPropertyName("detection_score")] double DetectionScore,
    [property: JsonPropertyName("dominant")] string Dominant,
    [property: JsonPropertyName("probabilities")] IReadOnlyDictionary<string, double> Probabilities)
{
    /// <param name="index">the face's number in its photo, from 1</param>
    /// <param name="top">how many expressions to keep, most probable first (null: all, in the model's order)</param>
    public static FaceRecord From(string file, int index, FaceExpression face, int? top = null)
    {
        var kept = top is { } k ? face.Probabilities.OrderByDescending(p => p.Value).Take(k) : face.Probabilities;
        return new FaceRecord(file, index, new FaceRecordBox(face.Box.X, face.Box.Y, face.Box.Width, face.Box.Height),
            Math.Round(face.DetectionScore, 4), face.Dominant, kept.ToDictionary(p => p.Key, p => Math.Round(p.Value, 4)));
    }
}
