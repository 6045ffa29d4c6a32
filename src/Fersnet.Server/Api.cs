using System.Globalization;
using Fersnet.Data;
using Fersnet.Imaging;
using Fersnet.Inference;
using Fersnet.Synthesis;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using OpenCvSharp;

namespace Fersnet.Server;

/// <summary>What POST /api/predict answers: the photo as read and its faces, each as <c>fersnet predict --format json</c> writes it.</summary>
/// <param name="Expressions">every expression the model tells apart, in its order (the keys of each face's probabilities)</param>
public sealed record PredictResponse(string File, string Format, int Width, int Height, IReadOnlyList<string> Expressions, IReadOnlyList<FaceRecord> Faces);

/// <summary>One re-drawn face of POST /api/synthesize's JSON answer.</summary>
/// <param name="Image">a data URL (PNG, gray, the model's side)</param>
public sealed record DrawnFace(string Expression, string Image);

/// <summary>POST /api/synthesize's JSON answer: which face, the crop the model saw, and the face re-drawn with each target.</summary>
public sealed record SynthesizeResponse(string File, int? Face, FaceRecordBox Box, string Input, IReadOnlyList<DrawnFace> Faces);

/// <summary>GET /api/health.</summary>
public sealed record HealthResponse(string Status, string Recognition, string Synthesis);

/// <summary>The multipart form of the image endpoints, for the OpenAPI description (the handlers read the form themselves).</summary>
/// <param name="Image">the photo (PNG, JPEG, BMP, GIF, WebP, TIFF, PNM; recognised by its bytes)</param>
/// <param name="Face">synthesize: the face's number from predict (1 = first; default 1)</param>
/// <param name="Box">synthesize: or a box "x,y,width,height" in pixels instead of a face number</param>
/// <param name="To">synthesize: an expression (happiness, surprise, …) or all (default)</param>
/// <param name="Format">synthesize: png (default: the face, or a grid with all) or json (data URLs)</param>
public sealed record ImageForm(IFormFile Image, int? Face, string? Box, string? To, string? Format);

/// <summary>The HTTP API: its routes and handlers.</summary>
internal static class Api
{
    public const string WorkPolicy = "image-work";

    public static void Map(IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api");
        api.MapGet("/health", (ServerModels models) => TypedResults.Ok(new HealthResponse("ok",
                models.Card.Recognition.File, models.Card.Synthesis.File)))
            .WithSummary("The server is up and its models are loaded.");
        api.MapGet("/model", (ServerModels models) => TypedResults.Ok(models.Card))
            .WithSummary("Model card: each model's training data, classes and accuracy as its checkpoint records them, and the code's commit.");
        api.MapPost("/predict", Predict)
            .Accepts<ImageForm>("multipart/form-data")
            .Produces<PredictResponse>()
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType).ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable).ProducesProblem(StatusCodes.Status504GatewayTimeout)
            .WithSummary("The faces in a photo and their expressions: the records of fersnet predict --format json.")
            .RequireRateLimiting(WorkPolicy).WithRequestTimeout(WorkPolicy);
        api.MapPost("/synthesize", Synthesize)
            .Accepts<ImageForm>("multipart/form-data")
            .Produces(StatusCodes.Status200OK, contentType: "image/png")
            .Produces<SynthesizeResponse>(StatusCodes.Status200OK, "application/json")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType).ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable).ProducesProblem(StatusCodes.Status504GatewayTimeout)
            .WithSummary("A face of a photo re-drawn with another expression (or all): PNG, or JSON with data URLs.")
            .RequireRateLimiting(WorkPolicy).WithRequestTimeout(WorkPolicy);
    }

    private static async Task<IResult> Predict(HttpContext context, ServerModels models, ServeOptions options, Workers workers, CancellationToken cancellationToken)
    {
        var (upload, problem) = await Upload.Read(context.Request, options, cancellationToken);
        if (upload is null) return problem!;
        using var worker = await workers.Acquire(cancellationToken);
        if (worker is null) return workers.Busy(context);
        using var image = Decode(models, upload, out problem);
        if (image is null) return problem!;
        cancellationToken.ThrowIfCancellationRequested();
        var faces = models.Recognizer.Recognize(image);
        cancellationToken.ThrowIfCancellationRequested();
        return TypedResults.Ok(new PredictResponse(upload.Name, upload.Header.Format, image.Cols, image.Rows, models.Recognizer.Expressions,
            faces.Select((f, i) => FaceRecord.From(upload.Name, i + 1, f)).ToArray()));
    }

    private static async Task<IResult> Synthesize(HttpContext context, ServerModels models, ServeOptions options, Workers workers, CancellationToken cancellationToken)
    {
        var (upload, problem) = await Upload.Read(context.Request, options, cancellationToken);
        if (upload is null) return problem!;
        var form = upload.Form;
        string to = Field(form, "to") ?? "all";
        IReadOnlyList<Expression> targets;
        var known = models.Synthesizer.Labels;
        if (to.Equals("all", StringComparison.OrdinalIgnoreCase)) targets = known.Classes;
        else if (Expressions.TryParse(to, out var target) && known.Classes.Contains(target)) targets = [target];
        else return Problems.Make(StatusCodes.Status400BadRequest, "Unknown expression", $"to={to}: the synthesis model draws {string.Join(", ", known.Names)} (or all)");
        string format = (Field(form, "format") ?? "png").ToLowerInvariant();
        if (format is not ("png" or "json")) return Problems.Make(StatusCodes.Status400BadRequest, "Unknown format", $"format={format}: png or json");
        string? boxText = Field(form, "box"), faceText = Field(form, "face");
        if (boxText is not null && faceText is not null) return Problems.Make(StatusCodes.Status400BadRequest, "Face or box", "give a face number or a box, not both");
        FaceBox? box = null;
        int? faceNumber = null;
        if (boxText is not null)
        {
            box = ParseBox(boxText);
            if (box is null) return Problems.Make(StatusCodes.Status400BadRequest, "Bad box", $"box={boxText}: write x,y,width,height in pixels (width and height positive)");
        }
        else
        {
            faceNumber = 1;
            if (faceText is not null)
            {
                if (!int.TryParse(faceText, NumberStyles.None, CultureInfo.InvariantCulture, out int n) || n < 1)
                    return Problems.Make(StatusCodes.Status400BadRequest, "Bad face number", $"face={faceText}: a face number from 1 (as predict numbers them)");
                faceNumber = n;
            }
        }
        using var worker = await workers.Acquire(cancellationToken);
        if (worker is null) return workers.Busy(context);
        using var image = Decode(models, upload, out problem);
        if (image is null) return problem!;
        if (box is not null)
        {
            var inside = new Rect(box.X, box.Y, box.Width, box.Height) & new Rect(0, 0, image.Cols, image.Rows);
            if (inside.Width <= 0 || inside.Height <= 0)
                return Problems.Make(StatusCodes.Status422UnprocessableEntity, "Box outside the image", $"the box {boxText} lies outside the {image.Cols}x{image.Rows} image");
        }
        else
        {
            var faces = models.Recognizer.Recognize(image);
            if (faces.Count == 0) return Problems.Make(StatusCodes.Status422UnprocessableEntity, "No face", "no face was found in the image; give a box instead");
            if (faceNumber > faces.Count)
                return Problems.Make(StatusCodes.Status422UnprocessableEntity, "No such face", $"face={faceNumber}: the image has {faces.Count} face(s)");
            box = faces[faceNumber!.Value - 1].Box;
        }
        cancellationToken.ThrowIfCancellationRequested();
        var (input, drawn) = models.Redraw(image, box, targets);
        try
        {
            if (format == "json")
                return TypedResults.Ok(new SynthesizeResponse(upload.Name, faceNumber, new FaceRecordBox(box.X, box.Y, box.Width, box.Height), DataUrl(input),
                    targets.Select((t, i) => new DrawnFace(t.Name(), DataUrl(drawn[i]))).ToArray()));
            if (drawn.Count == 1) return TypedResults.File(drawn[0].ImEncode(".png"), "image/png");
            using var grid = SynthesisGrid.Row(input, drawn, targets.Select(t => t.Name()).ToArray());
            return TypedResults.File(grid.ImEncode(".png"), "image/png");
        }
        finally
        {
            input.Dispose();
            foreach (var d in drawn) d.Dispose();
        }
    }

    /// <summary>Decodes the upload (its header already passed the limits); a damaged image is 422.</summary>
    private static Mat? Decode(ServerModels models, Upload upload, out IResult? problem)
    {
        try
        {
            problem = null;
            return models.Recognizer.DecodeImage(upload.Bytes, upload.Name);
        }
        catch (ImageException e)
        {
            problem = Problems.Make(StatusCodes.Status422UnprocessableEntity, "Unreadable image", $"the {upload.Header.Format} image cannot be decoded: {e.Problem}");
            return null;
        }
    }

    private static string? Field(IFormCollection form, string name) =>
        form.TryGetValue(name, out var values) && !string.IsNullOrWhiteSpace(values.ToString()) ? values.ToString().Trim() : null;

    private static FaceBox? ParseBox(string text)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        if (parts.Length != 4) return null;
        var n = new int[4];
        for (int i = 0; i < 4; i++)
            if (!int.TryParse(parts[i], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out n[i])) return null;
        return n[2] > 0 && n[3] > 0 ? new FaceBox(n[0], n[1], n[2], n[3]) : null;
    }

    private static string DataUrl(Mat image) => "data:image/png;base64," + Convert.ToBase64String(image.ImEncode(".png"));
}
