namespace Fersnet.Imaging;

/// <summary>
/// The model files that ship with the library (copied to every build output under <c>models/</c>), named once here.
/// </summary>
public static class ModelFiles
{
    /// <summary>
    /// The expression model the recogniser (Fersnet.Inference) loads when no checkpoint is given (a path relative
    /// to the repository and to the build output). Named once, by the <c>FersnetBundledModel</c> property in
    /// src/Fersnet/Fersnet.csproj, which also copies the file to every build output and records its name in the assembly.
    /// </summary>
    public static string BundledExpressionModel { get; } = Recorded("FersnetBundledModel");

    /// <summary>
    /// The synthesis model the synthesiser (Fersnet.Synthesis) loads when no checkpoint is given; named once, by
    /// the <c>FersnetBundledSynthesisModel</c> property in src/Fersnet/Fersnet.csproj, and copied like the expression model.
    /// </summary>
    public static string BundledSynthesisModel { get; } = Recorded("FersnetBundledSynthesisModel");

    private static string Recorded(string key) =>
        typeof(ModelFiles).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyMetadataAttribute), false)
            .Cast<System.Reflection.AssemblyMetadataAttribute>().Single(a => a.Key == key).Value!;

    /// <summary>The face detection network of <see cref="DetectorKind.BlazeFace"/>.</summary>
    public const string BlazeFaceModel = "models/detectors/face_detection_full_range.tflite";

    /// <summary>
    /// The full path of a bundled model file: beside the library's assembly (a build output or a consumer's), else
    /// in the source tree above it (tests and tools run from the repository).
    /// </summary>
    /// <exception cref="FileNotFoundException">The file is in neither place.</exception>
    public static string Find(string relative)
    {
        var tried = new List<string>();
        foreach (var start in new[] { Path.GetDirectoryName(typeof(ModelFiles).Assembly.Location), AppContext.BaseDirectory })
        {
            if (string.IsNullOrEmpty(start)) continue;
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                string candidate = Path.Combine(dir.FullName, relative);
                if (File.Exists(candidate)) return candidate;
                tried.Add(dir.FullName);
            }
        }
        throw new FileNotFoundException($"the bundled model file {relative} was not found beside the library ({string.Join(", ", tried.Distinct().Take(3))}, …)");
    }
}
