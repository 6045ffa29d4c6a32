using Fersnet.Imaging;
using Microsoft.AspNetCore.Http;

namespace Fersnet.Server;

/// <summary>An uploaded image, read into memory and sniffed: its format and size come from its own header bytes.</summary>
internal sealed record Upload(string Name, byte[] Bytes, ImageHeader Header, IFormCollection Form)
{
    /// <summary>The multipart field that carries the image.</summary>
    public const string ImageField = "image";

    /// <summary>
    /// Reads the image of a multipart request within the limits; on bad input, the problem to answer (4xx, one clear line).
    /// The client's content type and file name decide nothing: the format is read from the bytes.
    /// </summary>
    public static async Task<(Upload? Upload, IResult? Problem)> Read(HttpRequest request, ServeOptions options, CancellationToken cancellationToken)
    {
        if (!request.HasFormContentType)
            return (null, Problems.Make(StatusCodes.Status415UnsupportedMediaType, "Not a form",
                $"send multipart/form-data with the image in the field '{ImageField}'"));
        long bodyLimit = options.MaxUploadBytes + ServeOptions.FormOverheadBytes;
        if (request.ContentLength > bodyLimit) return (null, TooLarge(options, request.ContentLength.Value));
        IFormCollection form;
        try
        {
            form = await request.ReadFormAsync(cancellationToken);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, TooLarge(options, null));
        }
        catch (InvalidDataException e) when (e.Message.Contains("limit", StringComparison.OrdinalIgnoreCase))
        {
            return (null, e.Message.Contains("length", StringComparison.OrdinalIgnoreCase) ? TooLarge(options, null)
                : Problems.Make(StatusCodes.Status400BadRequest, "Malformed form", "the form has too many fields or too long values"));
        }
        catch (Exception e) when (e is InvalidDataException or BadHttpRequestException or IOException)
        {
            return (null, Problems.Make(StatusCodes.Status400BadRequest, "Malformed form", "the multipart body could not be read (bad boundary or cut short)"));
        }
        var file = form.Files.GetFile(ImageField);
        if (file is null)
            return (null, Problems.Make(StatusCodes.Status400BadRequest, "No image", $"the form has no file in the field '{ImageField}'"));
        if (file.Length > options.MaxUploadBytes) return (null, TooLarge(options, file.Length));
        if (file.Length == 0) return (null, Problems.Make(StatusCodes.Status400BadRequest, "Empty image", "the uploaded file is empty (0 bytes)"));
        var bytes = new byte[file.Length];
        await using (var stream = file.OpenReadStream())
            await stream.ReadExactlyAsync(bytes, cancellationToken);
        var header = PhotoDecoder.ReadHeader(bytes);
        if (header is null)
            return (null, Problems.Make(StatusCodes.Status415UnsupportedMediaType, "Not an image",
                $"the upload is not a supported image ({PhotoDecoder.Formats}), judged from its bytes, or its header is damaged"));
        if (header.Width <= 0 || header.Height <= 0)
            return (null, Problems.Make(StatusCodes.Status422UnprocessableEntity, "Empty image", $"the image header gives {header.Width}x{header.Height} pixels"));
        if (header.Pixels > options.MaxPixels)
            return (null, Problems.Make(StatusCodes.Status413PayloadTooLarge, "Too many pixels",
                $"the image is {header.Width}x{header.Height} pixels, above the limit of {options.MaxPixels:N0} (refused from its header, before decoding)"));
        string name = Path.GetFileName(file.FileName ?? "");
        if (name.Length == 0) name = "upload";
        if (name.Length > 120) name = name[..120];
        return (new Upload(name, bytes, header, form), null);
    }

    private static IResult TooLarge(ServeOptions options, long? length) =>
        Problems.Make(StatusCodes.Status413PayloadTooLarge, "Upload too large",
            (length is { } n ? $"the upload is {n:N0} bytes" : "the upload is too large") + $"; the limit is {options.MaxUploadBytes:N0} bytes");
}

/// <summary>RFC 7807 problem details: the one error form of the API.</summary>
internal static class Problems
{
    public static IResult Make(int status, string title, string detail) => Results.Problem(detail: detail, statusCode: status, title: title);
}
