using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Fersnet.Server;
using OpenCvSharp;

namespace Fersnet.Tests;

/// <summary>fersnet serve's HTTP API, over a loopback port: every endpoint, and every error as RFC 7807 problem details.</summary>
public class ServerTests
{
    private static string Photo(string name = "sample1.jpg") => Path.Combine(TestPaths.Photos, name);

    private static byte[] PhotoBytes(string name = "sample1.jpg") => File.ReadAllBytes(Photo(name));

    /// <summary>Asserts a problem-details answer with this status and a detail containing <paramref name="detailPart"/>, and no stack trace.</summary>
    private static async Task<JsonElement> AssertProblem(HttpResponseMessage response, HttpStatusCode status, string detailPart) =>
        AssertProblem((int)response.StatusCode, response.Content.Headers.ContentType?.MediaType, await response.Content.ReadAsStringAsync(), status, detailPart);

    private static JsonElement AssertProblem(RawResponse response, HttpStatusCode status, string detailPart) =>
        AssertProblem(response.Status, response.Headers.GetValueOrDefault("content-type")?.Split(';')[0], response.Body, status, detailPart);

    private static JsonElement AssertProblem(int actual, string? mediaType, string body, HttpStatusCode status, string detailPart)
    {
        Assert.True(actual == (int)status, $"expected {(int)status}, got {actual}: {body}");
        Assert.Equal("application/problem+json", mediaType);
        Assert.DoesNotContain("   at ", body);
        Assert.DoesNotContain("Exception", body);
        var problem = JsonDocument.Parse(body).RootElement;
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        Assert.Contains(detailPart, problem.GetProperty("detail").GetString());
        return problem;
    }

    /// <summary>The head of a multipart upload of one image, the body's first bytes (<see cref="RawHttp"/>).</summary>
    private static byte[] FormStart(string name = "a.jpg") =>
        Encoding.ASCII.GetBytes($"--b\r\nContent-Disposition: form-data; name=\"image\"; filename=\"{name}\"\r\n\r\n");

    private const string FormType = "Content-Type: multipart/form-data; boundary=b";

    [Fact]
    public async Task Health_model_card_openapi_and_page_are_served()
    {
        await using var host = await ServerHost.Start();
        var health = JsonDocument.Parse(await host.Client.GetStringAsync("/api/health")).RootElement;
        Assert.Equal("ok", health.GetProperty("status").GetString());

        var card = JsonDocument.Parse(await host.Client.GetStringAsync("/api/model")).RootElement;
        var recognition = card.GetProperty("recognition");
        Assert.Equal(host.Models.Recognizer.Expressions, recognition.GetProperty("classes").EnumerateArray().Select(c => c.GetString()!));
        Assert.Equal(Path.GetFileName(Fersnet.Imaging.ModelFiles.BundledExpressionModel), recognition.GetProperty("file").GetString());
        Assert.Equal("fer2013", recognition.GetProperty("data").GetProperty("dataset").GetString());
        Assert.InRange(recognition.GetProperty("accuracy").GetProperty("value").GetDouble(), 0.2, 1.0);
        Assert.Equal(host.Models.Synthesizer.Labels.Names, card.GetProperty("synthesis").GetProperty("classes").EnumerateArray().Select(c => c.GetString()!));
        Assert.Equal(Path.GetFileName(Fersnet.Imaging.ModelFiles.BundledSynthesisModel), card.GetProperty("synthesis").GetProperty("file").GetString());
        Assert.False(string.IsNullOrEmpty(card.GetProperty("commit").GetString()));
        Assert.NotEqual("unknown", card.GetProperty("commit").GetString());   // built in a git clone

        var openApi = JsonDocument.Parse(await host.Client.GetStringAsync("/openapi/v1.json")).RootElement;
        var paths = openApi.GetProperty("paths");
        foreach (var path in new[] { "/api/health", "/api/model", "/api/predict", "/api/synthesize" }) Assert.True(paths.TryGetProperty(path, out _), path);
        Assert.Contains("multipart/form-data", paths.GetProperty("/api/predict").GetRawText());

        var page = await host.Client.GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("Choose or drop a photo", await page.Content.ReadAsStringAsync());
        Assert.Equal("nosniff", page.Headers.GetValues("X-Content-Type-Options").Single());
        foreach (var asset in new[] { "/app.js", "/app.css" }) Assert.Equal(HttpStatusCode.OK, (await host.Client.GetAsync(asset)).StatusCode);
    }

    [Fact]
    public async Task Predict_answers_the_records_of_fersnet_predict()
    {
        await using var host = await ServerHost.Start();
        var response = await host.Client.PostAsync("/api/predict", ServerHost.Form(PhotoBytes(), "sample1.jpg"));
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, body);
        var answer = JsonDocument.Parse(body).RootElement;
        Assert.Equal("jpeg", answer.GetProperty("format").GetString());
        Assert.Equal(1920, answer.GetProperty("width").GetInt32());
        var faces = answer.GetProperty("faces").EnumerateArray().ToArray();
        Assert.Equal(3, faces.Length);

        // The same records (and the same serializer) as the command line's JSON, all expressions kept.
        var cli = CliRunner.Run("predict", Photo(), "--format", "json", "--top", "7");
        Assert.Equal(0, cli.ExitCode);
        var expected = JsonDocument.Parse(cli.Output[..(cli.Output.LastIndexOf(']') + 1)]).RootElement.EnumerateArray().ToArray();
        Assert.Equal(expected.Length, faces.Length);
        for (int i = 0; i < faces.Length; i++)
        {
            Assert.Equal(string.Join(",", expected[i].EnumerateObject().Select(p => p.Name)), string.Join(",", faces[i].EnumerateObject().Select(p => p.Name)));
            foreach (var field in new[] { "face", "box", "detection_score", "dominant" })
                Assert.Equal(expected[i].GetProperty(field).GetRawText(), faces[i].GetProperty(field).GetRawText());
            var p = faces[i].GetProperty("probabilities").EnumerateObject().ToDictionary(x => x.Name, x => x.Value.GetDouble());
            var q = expected[i].GetProperty("probabilities").EnumerateObject().ToDictionary(x => x.Name, x => x.Value.GetDouble());
            Assert.Equal(q.Count, p.Count);
            foreach (var (name, value) in q) Assert.Equal(value, p[name], 3);
        }
    }

    [Fact]
    public async Task The_format_comes_from_the_bytes_never_from_the_declared_type()
    {
        await using var host = await ServerHost.Start();
        // A PNG declared as text with a .txt name is read as the PNG it is.
        var png = Fixtures.EncodeFace(".png", 3, 96);
        var response = await host.Client.PostAsync("/api/predict", ServerHost.Form(png, "notes.txt", "text/plain"));
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        Assert.Equal("png", JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("format").GetString());
        // Text declared as a JPEG is refused.
        var junk = await host.Client.PostAsync("/api/predict", ServerHost.Form("<html>hello</html>"u8.ToArray(), "photo.jpg", "image/jpeg"));
        await AssertProblem(junk, HttpStatusCode.UnsupportedMediaType, "judged from its bytes");
    }

    [Fact]
    public async Task Bad_requests_get_clear_problem_details()
    {
        await using var host = await ServerHost.Start();
        var c = host.Client;
        await AssertProblem(await c.PostAsync("/api/predict", ServerHost.Form([], "empty.png", "image/png")), HttpStatusCode.BadRequest, "empty");
        var noImage = new MultipartFormDataContent { { new StringContent("1"), "face" } };
        await AssertProblem(await c.PostAsync("/api/predict", noImage), HttpStatusCode.BadRequest, "no file in the field 'image'");
        await AssertProblem(await c.PostAsync("/api/predict", new StringContent("{}", Encoding.UTF8, "application/json")),
            HttpStatusCode.UnsupportedMediaType, "multipart/form-data");
        var broken = new ByteArrayContent("--x\r\nContent-Disposition: form-data; name=\"image\"; filename=\"a.jpg\"\r\n\r\nabc"u8.ToArray());
        broken.Headers.ContentType = MediaTypeHeaderValue.Parse("multipart/form-data; boundary=x");
        await AssertProblem(await c.PostAsync("/api/predict", broken), HttpStatusCode.BadRequest, "multipart body could not be read");
        var photo = PhotoBytes("sample2.jpg");
        await AssertProblem(await c.PostAsync("/api/predict", ServerHost.Form(photo[..(photo.Length / 2)])), HttpStatusCode.UnprocessableEntity, "truncated");
        await AssertProblem(await c.GetAsync("/api/nothing"), HttpStatusCode.NotFound, "/api/nothing");
        await AssertProblem(await c.GetAsync("/api/predict"), HttpStatusCode.MethodNotAllowed, "GET is not allowed");
    }

    [Fact]
    public async Task Uploads_above_the_byte_or_pixel_limit_are_refused()
    {
        var photo = PhotoBytes();
        await using (var small = await ServerHost.Start(new ServeOptions { MaxUploadBytes = 10_000 }))
        {
            // Its length is said up front: refused before the body is read. A client that asks before sending (Expect:
            // 100-continue) reads that answer without sending the body at all; one that sent it anyway may find the
            // connection reset before it reads the answer, so the test asks first.
            using var asking = new HttpClient(new SocketsHttpHandler { Expect100ContinueTimeout = TimeSpan.FromSeconds(60) })
                { BaseAddress = small.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
            var request = new HttpRequestMessage(HttpMethod.Post, "/api/predict") { Content = ServerHost.Form(photo) };
            request.Headers.ExpectContinue = true;
            await AssertProblem(await asking.SendAsync(request), HttpStatusCode.RequestEntityTooLarge, "the limit is 10,000 bytes");
            // Sent without a length up front (chunked): Kestrel's body limit stops it while it is read. The chunks end
            // just past the limit and are all sent before the answer is read, so no byte is left unread to reset the connection.
            var body = FormStart().Concat(photo).Take((int)ServeOptions.FormOverheadBytes + 10_100).ToArray();
            var chunked = await RawHttp.Exchange(small.BaseAddress, $"POST /api/predict HTTP/1.1\r\n{FormType}\r\nTransfer-Encoding: chunked",
                Encoding.ASCII.GetBytes($"{body.Length:x}\r\n").Concat(body).Concat("\r\n0\r\n\r\n"u8.ToArray()).ToArray(), TimeSpan.FromSeconds(60));
            AssertProblem(chunked, HttpStatusCode.RequestEntityTooLarge, "limit");
        }
        await using var fewPixels = await ServerHost.Start(new ServeOptions { MaxPixels = 1_000_000 });
        await AssertProblem(await fewPixels.Client.PostAsync("/api/predict", ServerHost.Form(photo)), HttpStatusCode.RequestEntityTooLarge,
            "1920x1280 pixels, above the limit of 1,000,000 (refused from its header, before decoding)");
        // A bomb: a PNG header claiming 100,000 x 100,000 pixels is refused without decoding anything.
        var bomb = Fixtures.EncodeFace(".png", 1, 8);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(bomb.AsSpan(16), 100_000);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(bomb.AsSpan(20), 100_000);
        await AssertProblem(await fewPixels.Client.PostAsync("/api/synthesize", ServerHost.Form(bomb, "bomb.png", "image/png")),
            HttpStatusCode.RequestEntityTooLarge, "100000x100000 pixels");
    }

    [Fact]
    public async Task Synthesize_redraws_a_face_as_png_or_json()
    {
        await using var host = await ServerHost.Start();
        int side = host.Models.Synthesizer.ImageSize;
        var photo = PhotoBytes();
        var one = await host.Client.PostAsync("/api/synthesize", ServerHost.Form(photo, fields: [("face", "2"), ("to", "happiness")]));
        Assert.True(one.IsSuccessStatusCode, await one.Content.ReadAsStringAsync());
        Assert.Equal("image/png", one.Content.Headers.ContentType?.MediaType);
        using (var face = Cv2.ImDecode(await one.Content.ReadAsByteArrayAsync(), ImreadModes.Unchanged))
            Assert.Equal((side, side), (face.Cols, face.Rows));

        var grid = await host.Client.PostAsync("/api/synthesize", ServerHost.Form(photo, fields: [("face", "1"), ("to", "all")]));
        Assert.Equal("image/png", grid.Content.Headers.ContentType?.MediaType);
        using (var image = Cv2.ImDecode(await grid.Content.ReadAsByteArrayAsync(), ImreadModes.Unchanged))
            Assert.True(image.Cols >= side * (host.Models.Synthesizer.Labels.Count + 1), $"grid {image.Cols} wide");

        var json = await host.Client.PostAsync("/api/synthesize", ServerHost.Form(photo, fields: [("box", "838,421,187,227"), ("format", "json")]));
        string body = await json.Content.ReadAsStringAsync();
        Assert.True(json.IsSuccessStatusCode, body);
        var answer = JsonDocument.Parse(body).RootElement;
        Assert.Equal(JsonValueKind.Null, answer.GetProperty("face").ValueKind);
        Assert.StartsWith("data:image/png;base64,", answer.GetProperty("input").GetString());
        var drawn = answer.GetProperty("faces").EnumerateArray().ToArray();
        Assert.Equal(host.Models.Synthesizer.Labels.Names, drawn.Select(d => d.GetProperty("expression").GetString()!));
        Assert.All(drawn, d => Assert.StartsWith("data:image/png;base64,", d.GetProperty("image").GetString()));
    }

    [Fact]
    public async Task Synthesize_refuses_bad_fields_with_problem_details()
    {
        await using var host = await ServerHost.Start();
        var c = host.Client;
        var photo = PhotoBytes();
        Task<HttpResponseMessage> Post(params (string, string)[] fields) => c.PostAsync("/api/synthesize", ServerHost.Form(photo, fields: fields));
        await AssertProblem(await Post(("to", "boredom")), HttpStatusCode.BadRequest, "the synthesis model draws");
        await AssertProblem(await Post(("format", "gif")), HttpStatusCode.BadRequest, "png or json");
        await AssertProblem(await Post(("face", "zero")), HttpStatusCode.BadRequest, "a face number from 1");
        await AssertProblem(await Post(("face", "1"), ("box", "1,2,3,4")), HttpStatusCode.BadRequest, "not both");
        await AssertProblem(await Post(("box", "1,2,3")), HttpStatusCode.BadRequest, "x,y,width,height");
        await AssertProblem(await Post(("face", "9")), HttpStatusCode.UnprocessableEntity, "the image has 3 face(s)");
        await AssertProblem(await Post(("box", "5000,5000,10,10")), HttpStatusCode.UnprocessableEntity, "outside the 1920x1280 image");
        var blank = Fixtures.EncodeFace(".png", 0, 64);
        using (var gray = new Mat(64, 64, MatType.CV_8UC1, new Scalar(128))) blank = gray.ImEncode(".png");
        await AssertProblem(await c.PostAsync("/api/synthesize", ServerHost.Form(blank, "blank.png", "image/png")), HttpStatusCode.UnprocessableEntity, "no face was found");
    }

    /// <summary>An upload that sends its first bytes and then waits until released: it holds a worker while it waits.</summary>
    private sealed class StalledUpload(TaskCompletionSource release) : HttpContent
    {
        public TaskCompletionSource Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            await stream.WriteAsync("--b\r\nContent-Disposition: form-data; name=\"image\"; filename=\"slow.jpg\"\r\n\r\n"u8.ToArray());
            await stream.FlushAsync();
            Started.TrySetResult();
            await release.Task;
            await stream.WriteAsync(PhotoBytes());
            await stream.WriteAsync("\r\n--b--\r\n"u8.ToArray());
        }

        protected override bool TryComputeLength(out long length) { length = 0; return false; }
    }

    private static (Task<HttpResponseMessage> Response, StalledUpload Upload) StartStalled(HttpClient client, TaskCompletionSource release)
    {
        var upload = new StalledUpload(release);
        upload.Headers.ContentType = MediaTypeHeaderValue.Parse("multipart/form-data; boundary=b");
        return (client.PostAsync("/api/predict", upload), upload);
    }

    [Fact]
    public async Task A_full_queue_answers_503_with_retry_after_and_the_held_request_still_completes()
    {
        await using var host = await ServerHost.Start(new ServeOptions { Concurrency = 1, QueueLimit = 0, RetryAfterSeconds = 3 });
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var (held, upload) = StartStalled(host.Client, release);
        await upload.Started.Task.WaitAsync(TimeSpan.FromSeconds(30));
        // Junk (answered 415 at once) until the server has taken the stalled request: then the next one finds it full.
        HttpResponseMessage busy;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        do
        {
            busy = await host.Client.PostAsync("/api/predict", ServerHost.Form("junk"u8.ToArray()));
            if (busy.StatusCode != HttpStatusCode.ServiceUnavailable) await Task.Delay(50);
        }
        while (busy.StatusCode != HttpStatusCode.ServiceUnavailable && clock.Elapsed < TimeSpan.FromSeconds(30));
        await AssertProblem(busy, HttpStatusCode.ServiceUnavailable, "retry after 3 s");
        Assert.Equal(TimeSpan.FromSeconds(3), busy.Headers.RetryAfter?.Delta);
        release.SetResult();
        var first = await held.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.True(first.IsSuccessStatusCode, await first.Content.ReadAsStringAsync());
        // The worker is free again.
        Assert.True((await host.Client.PostAsync("/api/predict", ServerHost.Form(PhotoBytes()))).IsSuccessStatusCode);
    }

    [Fact]
    public async Task A_request_past_the_timeout_is_cancelled_with_504()
    {
        await using var host = await ServerHost.Start(new ServeOptions { Concurrency = 1, QueueLimit = 1, RequestTimeout = TimeSpan.FromMilliseconds(300) });
        // The only worker is held (here by the test, as by a long request): the next request waits in the queue past its time.
        using (var held = await host.Workers.Acquire(CancellationToken.None))
        {
            Assert.NotNull(held);
            await AssertProblem(await host.Client.PostAsync("/api/predict", ServerHost.Form(PhotoBytes())), HttpStatusCode.GatewayTimeout,
                "longer than 0.3 s (queueing included)");
        }
        // An upload that stalls half-way is cut when its time is up (answered 504, or its connection closed, as the body
        // can no longer be read to its end), not when Kestrel gives up on a slow upload (its minimum data rate, after 5 s).
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var stalled = await Record.ExceptionAsync(async () => AssertProblem(await RawHttp.Exchange(host.BaseAddress,
            $"POST /api/predict HTTP/1.1\r\n{FormType}\r\nContent-Length: 100000", FormStart("slow.jpg"), TimeSpan.FromSeconds(60)),
            HttpStatusCode.GatewayTimeout, "longer than 0.3 s"));
        Assert.True(stalled is null or IOException, $"stalled upload: {stalled}");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(4), $"stalled upload cut after {clock.Elapsed.TotalSeconds:0.0} s");
        // The worker is free again (within seconds, or the wait is cancelled and the test fails) and the server goes on: a
        // cheap request, as a photo's prediction alone may take longer than 0.3 s on a loaded machine.
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10)))
        using (var free = await host.Workers.Acquire(timeout.Token)) Assert.NotNull(free);
        await AssertProblem(await host.Client.PostAsync("/api/predict", ServerHost.Form("<html>hello</html>"u8.ToArray(), "photo.jpg", "image/jpeg")),
            HttpStatusCode.UnsupportedMediaType, "judged from its bytes");
    }

    [Fact]
    public async Task The_thread_pool_keeps_a_thread_per_worker_beyond_its_minimum()
    {
        // Workers hold pool threads while they decode and run the networks; timers and uploads must not wait for new threads.
        await using var host = await ServerHost.Start(new ServeOptions { Concurrency = 3 });
        ThreadPool.GetMinThreads(out int workers, out _);
        Assert.True(workers >= 3 + Environment.ProcessorCount, $"minimum worker threads {workers}");
    }

    [Fact]
    public async Task Nothing_is_left_in_the_temp_folder_after_the_answers()
    {
        await using var host = await ServerHost.Start();
        string temp = Path.GetTempPath();
        string[] Buffered() => Directory.GetFiles(temp, "ASPNETCORE_*");
        var before = Buffered();
        // Large enough that the form reader buffers it to a file.
        for (int i = 0; i < 3; i++)
            Assert.True((await host.Client.PostAsync("/api/predict", ServerHost.Form(PhotoBytes("sample6.jpg")))).IsSuccessStatusCode);
        Assert.Equal(before.Order(), Buffered().Order());
    }
}
