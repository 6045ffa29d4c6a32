// Recognises the expressions in a photo with Fersnet's bundled model and, given a FERSNet checkpoint, re-draws the
// first face with another expression.
// Usage: dotnet run -- <photo> [<fersnet checkpoint> <expression> <out.png>]
using Fersnet.Inference;
using OpenCvSharp;

if (args.Length is not (1 or 4))
{
    Console.Error.WriteLine("usage: RecognizePhoto <photo> [<fersnet checkpoint> <expression> <out.png>]");
    return 2;
}

using var recognizer = ExpressionRecognizer.Load();
var faces = recognizer.Recognize(args[0]);
Console.WriteLine($"{faces.Count} face(s) in {args[0]}");
foreach (var face in faces)
    Console.WriteLine($"  box {face.Box.X},{face.Box.Y} {face.Box.Width}x{face.Box.Height}: {face.Dominant} ({face.Probabilities[face.Dominant]:P0})");

if (args.Length == 4 && faces.Count > 0)
{
    using var synthesizer = ExpressionRecognizer.Load(args[1]);
    using var photo = synthesizer.ReadImage(args[0]);
    var first = synthesizer.Recognize(photo)[0];
    using var redrawn = synthesizer.Redraw(photo, first, args[2]);
    Cv2.ImWrite(args[3], redrawn);
    Console.WriteLine($"re-drew the first face as {args[2]}: {args[3]}");
}
return 0;
