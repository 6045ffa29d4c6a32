using TorchSharp;
using static TorchSharp.torch;

namespace Fersnet.Models;

/// <summary>
/// Test-time augmentation: which views of each face are read, their class probabilities averaged with equal weight.
/// Both kinds of view are faces the training augmentation shows the network (it flips faces, and shifts them with the
/// border pixels repeated).
/// </summary>
/// <param name="Mirror">The face's mirror image too.</param>
/// <param name="Shift">The face moved this many pixels left, right, up and down too (its edge pixels repeated); 0: no
/// shifted views. With <paramref name="Mirror"/>, each shifted view is mirrored as well.</param>
public sealed record TestTimeViews(bool Mirror, int Shift = 0)
{
    /// <summary>The face as it is, alone.</summary>
    public static TestTimeViews Plain { get; } = new(false);

    /// <summary>The face and its mirror image.</summary>
    public static TestTimeViews Mirrored { get; } = new(true);

    /// <summary>How many views of each face are read (the network's compute is this many times a plain reading's).</summary>
    public int Count => Views().Count;

    /// <exception cref="ArgumentException">The shift is negative or moves the face by half its side or more.</exception>
    public void Validate(int imageSize)
    {
        if (Shift < 0 || Shift >= imageSize / 2)
            throw new ArgumentException($"a shift of {Shift} pixels is out of range: 0 to {imageSize / 2 - 1} for {imageSize}-pixel faces");
    }

    /// <summary>One view of a face: the face's pixels read from <paramref name="Dy"/> rows lower and <paramref name="Dx"/>
    /// columns further right (so the face moves up by Dy and left by Dx), then mirrored when <paramref name="Flip"/>.</summary>
    public readonly record struct View(int Dy, int Dx, bool Flip);

    /// <summary>Every view read, the face itself first: the one definition of their order (<see cref="OtherViews"/>
    /// draws them in it; <see cref="PositionsWithin"/> finds them in it).</summary>
    public IReadOnlyList<View> Views()
    {
        (int Dy, int Dx)[] moves = Shift > 0 ? [(0, 0), (0, -Shift), (0, Shift), (-Shift, 0), (Shift, 0)] : [(0, 0)];
        var unflipped = moves.Select(m => new View(m.Dy, m.Dx, false));
        return Mirror ? [.. unflipped, .. moves.Select(m => new View(m.Dy, m.Dx, true))] : [.. unflipped];
    }

    /// <summary>
    /// Where each of these views stands among <paramref name="all"/>'s views (<see cref="Views"/> order), so that
    /// one reading of <paramref name="all"/> gives these views' average too: the face alone, its mirror pair and the
    /// ten views of a shift nest this way.
    /// </summary>
    /// <exception cref="ArgumentException">A view of these is not among <paramref name="all"/>'s.</exception>
    public long[] PositionsWithin(TestTimeViews all)
    {
        var among = all.Views().ToList();
        var positions = Views().Select(view => (long)among.IndexOf(view)).ToArray();
        if (positions.Contains(-1)) throw new ArgumentException($"the views {this} are not among the views {all}");
        return positions;
    }

    /// <summary>Every view but the faces themselves, view after view in <see cref="Views"/> order: ((Count-1)·B,1,H,W).</summary>
    /// <param name="faces">(B,1,H,W)</param>
    public Tensor OtherViews(Tensor faces)
    {
        long height = faces.shape[2], width = faces.shape[3];
        var padded = Shift > 0 ? nn.functional.pad(faces, [Shift, Shift, Shift, Shift], PaddingModes.Replicate) : faces;   // (B,1,H+2s,W+2s)
        return cat([.. Views().Skip(1).Select(Draw)], 0);                                               // ((V-1)·B,1,H,W)

        Tensor Draw(View view)                                                                          // (B,1,H,W)
        {
            var moved = padded.narrow(2, Shift + view.Dy, height).narrow(3, Shift + view.Dx, width);
            return view.Flip ? moved.flip(3) : moved;
        }
    }
}
