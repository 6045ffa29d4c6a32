// fersnet serve's page: upload a photo, draw its face boxes, chart each face's expression probabilities, and re-draw
// the chosen face with every expression. Plain DOM, no framework; every control is a native button or input.
"use strict";
(() => {
  const $ = (id) => document.getElementById(id);
  const fileInput = $("file"), status = $("status"), drop = $("drop");
  let photo = null;        // the File being shown
  let objectUrl = null;

  function say(text, isError = false) {
    status.textContent = text;
    status.classList.toggle("error", isError);
  }

  async function problemText(response) {
    try {
      const body = await response.json();
      return `${body.title ?? "Error"}: ${body.detail ?? response.statusText}`;
    } catch {
      return `Error ${response.status}`;
    }
  }

  // POSTs a form; the answer's JSON, or null after showing the problem's one line.
  async function post(url, fields) {
    const form = new FormData();
    for (const [name, value] of Object.entries(fields)) form.append(name, value);
    let response;
    try {
      response = await fetch(url, { method: "POST", body: form });
    } catch {
      say("The server did not answer.", true);
      return null;
    }
    if (!response.ok) { say(await problemText(response), true); return null; }
    return response.json();
  }

  function el(tag, props = {}, ...children) {
    const node = Object.assign(document.createElement(tag), props);
    node.append(...children);
    return node;
  }

  async function show(file) {
    photo = file;
    $("synthesis").hidden = true;
    $("strip").replaceChildren();
    say(`Reading ${file.name}…`);
    const result = await post("/api/predict", { image: file });
    if (!result) return;
    if (objectUrl) URL.revokeObjectURL(objectUrl);
    objectUrl = URL.createObjectURL(file);
    const img = $("photo");
    img.src = objectUrl;
    img.alt = `${result.file}, ${result.width}x${result.height} pixels, ${result.faces.length} face(s)`;
    drawFaces(result);
    $("result").hidden = false;
    say(result.faces.length === 0 ? "No face found in this photo."
      : `${result.faces.length} face(s) found. Choose a face to re-draw it with every expression.`);
  }

  function drawFaces(result) {
    const boxes = $("boxes"), list = $("faces");
    boxes.replaceChildren();
    list.replaceChildren();
    for (const face of result.faces) {
      const pct = (v, total) => `${(100 * v / total).toFixed(3)}%`;
      const top = `${face.dominant} ${(100 * face.probabilities[face.dominant]).toFixed(0)}%`;
      const button = el("button", { type: "button", className: "face-box", title: `Face ${face.face}: ${top}` }, el("span", {}, `${face.face}`));
      button.setAttribute("aria-label", `Face ${face.face}: ${top}. Re-draw with every expression`);
      button.setAttribute("aria-pressed", "false");
      button.dataset.face = face.face;
      Object.assign(button.style, {
        left: pct(face.box.x, result.width), top: pct(face.box.y, result.height),
        width: pct(face.box.width, result.width), height: pct(face.box.height, result.height),
      });
      button.addEventListener("click", () => redraw(face.face));
      boxes.append(button);

      const bars = el("dl", { className: "bars" });
      for (const name of result.expressions) {
        const p = face.probabilities[name] ?? 0;
        const fill = el("span");
        fill.style.width = `${(100 * p).toFixed(1)}%`;
        const bar = el("span", { className: "bar" }, fill);
        bar.setAttribute("aria-hidden", "true");
        bars.append(el("dt", {}, name), el("dd", {}, bar, el("span", { className: "value" }, `${(100 * p).toFixed(0)}%`)));
      }
      const choose = el("button", { type: "button", className: "choose" }, "Re-draw");
      choose.dataset.face = face.face;
      choose.setAttribute("aria-label", `Re-draw face ${face.face} with every expression`);
      choose.addEventListener("click", () => redraw(face.face));
      const item = el("li", { id: `face-${face.face}` },
        el("h3", {}, `Face ${face.face}: ${face.dominant} `), bars, choose);
      list.append(item);
    }
  }

  async function redraw(number) {
    if (!photo) return;
    for (const b of document.querySelectorAll(".face-box")) b.setAttribute("aria-pressed", String(b.dataset.face === String(number)));
    for (const li of document.querySelectorAll("#faces li")) li.classList.toggle("chosen", li.id === `face-${number}`);
    say(`Re-drawing face ${number}…`);
    const result = await post("/api/synthesize", { image: photo, face: String(number), to: "all", format: "json" });
    if (!result) return;
    const strip = $("strip");
    const figure = (src, caption) => el("li", {}, el("figure", {}, el("img", { src, alt: caption }), el("figcaption", {}, caption)));
    strip.replaceChildren(figure(result.input, "input"), ...result.faces.map((f) => figure(f.image, f.expression)));
    $("synthesis-title").textContent = `Face ${number} re-drawn with every expression`;
    $("synthesis").hidden = false;
    say(`Face ${number} re-drawn with ${result.faces.length} expressions.`);
  }

  fileInput.addEventListener("change", () => { if (fileInput.files.length > 0) show(fileInput.files[0]); });
  drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("dragging"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("dragging"));
  drop.addEventListener("drop", (e) => {
    e.preventDefault();
    drop.classList.remove("dragging");
    if (e.dataTransfer.files.length > 0) show(e.dataTransfer.files[0]);
  });
})();
