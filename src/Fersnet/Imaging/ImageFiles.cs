namespace Fersnet.Imaging;

/// <summary>One input of a batch: an image file to read, or an input that named none, with why.</summary>
public readonly record struct ImageInput(string Path, string? Problem);

/// <summary>
/// Turns what a user typed (files, folders, globs) into image files, lazily: a folder's files are listed one folder at
/// a time (names only, sorted), never read ahead.
/// </summary>
public static class ImageFiles
{
    /// <summary>The file extensions taken from folders and globs (a file named explicitly is tried whatever its name).</summary>
    public static readonly IReadOnlySet<string> Extensions = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        ".jpg", ".jpeg", ".jpe", ".jfif", ".png", ".bmp", ".dib", ".gif", ".webp", ".tif", ".tiff", ".pgm", ".ppm", ".pbm", ".pnm",
    };

    /// <summary>
    /// Each input in order: an existing file as itself; a folder as its image files (recursively, sorted); a path with
    /// <c>*</c> or <c>?</c> in any segment as the image files it matches (sorted); anything else as a problem.
    /// </summary>
    public static IEnumerable<ImageInput> Expand(IEnumerable<string> inputs)
    {
        foreach (var input in inputs)
        {
            if (File.Exists(input)) { yield return new ImageInput(input, null); continue; }
            if (Directory.Exists(input))
            {
                int found = 0;
                foreach (var file in FolderImages(input)) { found++; yield return new ImageInput(file, null); }
                if (found == 0) yield return new ImageInput(input, "folder holds no image files");
                continue;
            }
            if (input.IndexOfAny(['*', '?']) >= 0)
            {
                int found = 0;
                foreach (var file in Glob(input)) { found++; yield return new ImageInput(file, null); }
                if (found == 0) yield return new ImageInput(input, "no image file matches this pattern");
                continue;
            }
            yield return new ImageInput(input, "no such file or folder");
        }
    }

    private static bool IsImage(string path) =>
        Extensions.Contains(Path.GetExtension(path)) && !Path.GetFileName(path).StartsWith('.');

    private static IEnumerable<string> FolderImages(string folder)
    {
        IEnumerable<string> files, folders;
        try
        {
            files = Directory.GetFiles(folder).Where(IsImage).Order(StringComparer.Ordinal).ToArray();
            folders = Directory.GetDirectories(folder).Where(d => !Path.GetFileName(d).StartsWith('.')).Order(StringComparer.Ordinal).ToArray();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            yield break;
        }
        foreach (var file in files) yield return file;
        foreach (var sub in folders)
            foreach (var file in FolderImages(sub)) yield return file;
    }

    /// <summary>Matches segment by segment; wildcards may appear in folder names too (<c>test/*/PrivateTest_*.jpg</c>).</summary>
    private static IEnumerable<string> Glob(string pattern)
    {
        bool rooted = Path.IsPathRooted(pattern);
        var segments = pattern.Split('/', StringSplitOptions.RemoveEmptyEntries);
        return Match(rooted ? "/" : ".", segments, 0, rooted);
    }

    private static IEnumerable<string> Match(string folder, string[] segments, int index, bool rooted)
    {
        string segment = segments[index];
        bool last = index == segments.Length - 1;
        string Join(string name) => folder == "." && !rooted ? name : Path.Combine(folder, name);
        if (segment.IndexOfAny(['*', '?']) < 0)
        {
            string next = Join(segment);
            if (last) { if (File.Exists(next)) yield return next; }
            else if (Directory.Exists(next)) foreach (var f in Match(next, segments, index + 1, rooted)) yield return f;
            yield break;
        }
        string[] entries;
        try
        {
            entries = (last ? Directory.GetFiles(folder, segment) : Directory.GetDirectories(folder, segment)).Order(StringComparer.Ordinal).ToArray();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            yield break;
        }
        foreach (var entry in entries)
        {
            string next = Join(Path.GetFileName(entry));
            if (last) { if (IsImage(next)) yield return next; }
            else foreach (var f in Match(next, segments, index + 1, rooted)) yield return f;
        }
    }
}
