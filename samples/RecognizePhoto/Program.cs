// Recognises the expressions in a photo with Fersnet's bundled expression model and, given an expression, re-draws the
// first face with it through the bundled synthesis model. Both models travel with the library into this program's output.
// Usage: dotnet run -- <photo> [<expression> <out.png>]
using Fersnet.Data;
using Fersnet.Inference;
using Fersnet.Synthesis;
using OpenCvSharp;

if (args.Length is not (1 or 3))
{
    Console.Error.WriteLine("usage: RecognizePhoto <photo> [<expression> <out.png>]");
    return 2;
}

using var recognizer = ExpressionRecognizer.Load();
using var photo = recognizer.ReadImage(args[0]);
var faces = recognizer.Recognize(photo);
Console.WriteLine($"{faces.Count} face(s) in {args[0]}");
foreach (var face in faces)
    Console.WriteLine($"  box {face.Box.X},{face.Box.Y} {face.Box.Width}x{face.Box.Height}: {face.Dominant} ({face.Probabilities[face.Dominant]:P0})");

if (args.Length == 3 && faces.Count > 0)
{
    if (!Expressions.TryParse(args[1], out var target))
    {
        Console.Error.WriteLine($"'{args[1]}' is not an expression");
        return 2;
    }
    using var synthesizer = ExpressionSynthesizer.Load();
    if (!synthesizer.Expressions.Contains(target))
    {
        Console.Error.WriteLine($"the synthesis model does not draw {target.Name()} (it draws {string.Join(", ", synthesizer.Expressions.Select(e => e.Name()))})");
        return 2;
    }
    using var crop = synthesizer.CropFace(photo, faces[0].Box, recognizer.Options.CropScale);
    using var redrawn = synthesizer.Synthesize(crop, target);
    Cv2.ImWrite(args[2], redrawn);
    Console.WriteLine($"re-drew the first face as {target.Name()}: {args[2]}");
}
return 0;
