using System.Net.Http.Headers;
using Fersnet.Server;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Fersnet.Tests;

/// <summary>fersnet serve's application on a free loopback port, in this process, with the models loaded once for all tests.</summary>
public sealed class ServerHost : IAsyncDisposable
{
    private static readonly Lazy<ServerModels> SharedModels = new(() => ServerModels.Load(new ServeOptions()));

    private readonly WebApplication _app;

    public HttpClient Client { get; }
    public Uri BaseAddress { get; }
    public ServerModels Models => SharedModels.Value;

    /// <summary>The server's worker pool, to hold workers from the test.</summary>
    public Workers Workers => _app.Services.GetRequiredService<Workers>();

    private ServerHost(WebApplication app, Uri address)
    {
        (_app, BaseAddress) = (app, address);
        Client = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(60) };
    }

    public static async Task<ServerHost> Start(ServeOptions? options = null)
    {
        options = (options ?? new ServeOptions()) with { Urls = "http://127.0.0.1:0" };
        var app = FersnetServer.Build(options, SharedModels.Value);
        await app.StartAsync();
        return new ServerHost(app, new Uri(app.Urls.First()));
    }

    /// <summary>A multipart form with the image in the field 'image' (declared as <paramref name="contentType"/>) and text fields.</summary>
    public static MultipartFormDataContent Form(byte[] image, string name = "photo.jpg", string contentType = "image/jpeg", params (string Name, string Value)[] fields)
    {
        var form = new MultipartFormDataContent();
        var file = new ByteArrayContent(image);
        file.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        form.Add(file, "image", name);
        foreach (var (field, value) in fields) form.Add(new StringContent(value), field);
        return form;
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
