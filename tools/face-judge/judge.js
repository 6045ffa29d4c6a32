// Judges face images with face-api.js's pretrained nets (@vladmandic/face-api, TensorFlow.js on its WebAssembly backend):
// per image, the 128-d face descriptor of the face recognition net and the seven expression probabilities of the
// expression net. The images are whole face crops (no detection): each is given to both nets as it is.
//
//   node judge.js <list.json> <out.jsonl>
//
// list.json: a JSON array of PNG paths. out.jsonl: one line per image, in the list's order:
//   {"image": path, "descriptor": [128 numbers], "expressions": {"neutral": p, "happy": p, ...}}
// or, for an image that cannot be read: {"image": path, "error": "..."}.
'use strict';
const fs = require('fs');
const path = require('path');
const { PNG } = require('pngjs');
const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js');
const tf = faceapi.tf;

/** A PNG as an (H,W,3) int32 tensor; gray and gray+alpha images have their gray level copied to the three channels. */
function readPng(file) {
  const png = PNG.sync.read(fs.readFileSync(file));
  const { width, height, data } = png; // RGBA, 8 bits per channel after decoding
  const rgb = new Int32Array(width * height * 3);
  for (let i = 0; i < width * height; i++) {
    rgb[3 * i] = data[4 * i];
    rgb[3 * i + 1] = data[4 * i + 1];
    rgb[3 * i + 2] = data[4 * i + 2];
  }
  return tf.tensor3d(rgb, [height, width, 3], 'int32');
}

async function main() {
  const [listFile, outFile] = process.argv.slice(2);
  if (!listFile || !outFile) {
    console.error('usage: node judge.js <list.json> <out.jsonl>');
    process.exit(2);
  }
  const images = JSON.parse(fs.readFileSync(listFile, 'utf8'));
  await tf.setBackend('wasm');
  await tf.ready();
  const models = path.join(path.dirname(require.resolve('@vladmandic/face-api/package.json')), 'model');
  await faceapi.nets.faceRecognitionNet.loadFromDisk(models);
  await faceapi.nets.faceExpressionNet.loadFromDisk(models);
  const out = fs.openSync(outFile, 'w');
  for (const image of images) {
    let line;
    try {
      const x = readPng(image);
      const descriptor = await faceapi.computeFaceDescriptor(x);
      const expressions = await faceapi.nets.faceExpressionNet.predictExpressions(x);
      x.dispose();
      line = { image, descriptor: Array.from(descriptor), expressions: Object.fromEntries(Object.entries(expressions)) };
    } catch (e) {
      line = { image, error: String(e.message || e).split('\n')[0] };
    }
    fs.writeSync(out, JSON.stringify(line) + '\n');
  }
  fs.closeSync(out);
}

main().catch((e) => {
  console.error(`face judge: ${String(e.message || e).split('\n')[0]}`);
  process.exit(1);
});
