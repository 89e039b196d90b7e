#!/usr/bin/env node
// SPDX-License-Identifier: LGPL-2.1-or-later
// The Node peer of `cnnfilt embed`: sharp decodes and resizes, ONNX Runtime
// (npm onnxruntime-node, CPU execution provider) runs the same ONNX file.
//
//   node embed_ort.js MODEL.onnx DIR OUT.npy PATHS.txt [--threads 2] [--batch 8]
//        [--prefetch 2] [--standardize imagenet|none] [--resize sharp|area]
//        [--kernel cubic] [--fast-shrink]
//
// Every image under DIR (walked recursively, sorted, hidden entries skipped,
// by suffix) is prepared as `cnnfilt embed` prepares it, then run through
// the model; OUT.npy gets the L2-normalised embeddings (N x D float32, as
// `cnnfilt index export` writes them), PATHS.txt their paths.
//
// Preparation, --resize sharp (default): one sharp pipeline per image
// (libvips underneath):
//   - decoded reduced: sharp's JPEG (and WebP) shrink-on-load; with
//     fastShrinkOnLoad false (the default here, --fast-shrink turns it on)
//     it keeps the decoded image at least twice the target size, which is
//     cnnfilt's rule (shorter side >= 2 x 256); on, it decodes down to just
//     above the target (1/8 of a 4000x3000 photo instead of 1/4);
//   - turned upright by EXIF (rotate()), made 3-band sRGB (grey repeated,
//     alpha dropped);
//   - resized so that the shorter side is 256 and the longer one floor(side x
//     256 / shorter) (torchvision's rule, cnnfilt's `resize shorter=256`;
//     the size is computed here from the header), with --kernel (default
//     `cubic`: of sharp's kernels, the one whose embeddings come closest to
//     cnnfilt's area averaging; sharp's own default is lanczos3);
//   - the centre 224 x 224 extracted (offsets rounded half to even).
// --resize area: sharp decodes every pixel (it cannot hand over a JPEG
// decoded at 1/2, 1/4 or 1/8 unresampled), then this script resizes the crop
// with cnnfilt's own area-averaging tables (plugins/image/resize.c): the
// closest this peer gets to cnnfilt's preparation, at the cost of full
// decoding and a resize in JavaScript.
// Then ÷ 255 and, with --standardize imagenet (default), (x - mean) / std
// with ImageNet's statistics, as cnnfilt's pipeline does for colour models
// (the default model takes its input so); `none` leaves [0, 1].
//
// Session: intraOpNumThreads --threads, interOpNumThreads 1, sequential,
// graphOptimizationLevel "all". --batch N stacks N images per run when the
// model's batch axis is dynamic; this model's is fixed at 1, so batch 1 (said
// on stderr). --prefetch P keeps P images being decoded (on libuv's thread
// pool, sharp.concurrency(1) each) while the network runs.
// A line on stderr says where the time went.
'use strict';
const tStart = process.hrtime.bigint();
const fs = require('fs');
const path = require('path');
const ort = require('onnxruntime-node');
const sharp = require('sharp');

const SUFFIXES = new Set(['.jpg', '.jpeg', '.png', '.webp', '.tif', '.tiff', '.gif']);
const MEAN = [0.485, 0.456, 0.406];
const STD = [0.229, 0.224, 0.225];
const RESIZE = 256;
const CROP = 224;

const args = process.argv.slice(2);
const pos = [];
const opt = { threads: 2, batch: 8, prefetch: 2, standardize: 'imagenet', resize: 'sharp', kernel: 'cubic',
              fastShrink: false };
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === '--threads') opt.threads = +args[++i];
  else if (a === '--batch') opt.batch = +args[++i];
  else if (a === '--prefetch') opt.prefetch = +args[++i];
  else if (a === '--standardize') opt.standardize = args[++i];
  else if (a === '--kernel') opt.kernel = args[++i];
  else if (a === '--fast-shrink') opt.fastShrink = true;
  else if (a === '--resize') opt.resize = args[++i];
  else if (a.startsWith('-')) { console.error(`embed_ort.js: unknown option ${a}`); process.exit(2); }
  else pos.push(a);
}
if (pos.length !== 4 || !['imagenet', 'none'].includes(opt.standardize) || !['sharp', 'area'].includes(opt.resize)) {
  console.error('usage: node embed_ort.js MODEL.onnx DIR OUT.npy PATHS.txt [--threads N] [--batch N] ' +
                '[--prefetch N] [--standardize imagenet|none] [--resize sharp|area] [--kernel K] [--fast-shrink]');
  process.exit(2);
}
const [modelPath, root, outNpy, outPaths] = pos;
const now = () => Number(process.hrtime.bigint()) * 1e-9;

function listImages(dir) {
  const found = [];
  const walk = (d) => {
    const entries = fs.readdirSync(d, { withFileTypes: true })
      .filter((e) => !e.name.startsWith('.'))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const p = path.join(d, e.name);
      const st = fs.statSync(p);
      if (st.isDirectory()) walk(p);
      else if (SUFFIXES.has(path.extname(e.name).toLowerCase())) found.push(p);
    }
  };
  walk(dir);
  return found;
}

// round half to even, as Python's round() and C's rint()
function rint(x) {
  const f = Math.floor(x);
  const d = x - f;
  return d > 0.5 ? f + 1 : d < 0.5 ? f : (f % 2 === 0 ? f : f + 1);
}

const standardize = opt.standardize === 'imagenet';
sharp.concurrency(1);
sharp.cache(false);

// cnnfilt's resize tables (plugins/image/resize.c, make_table()): for each
// output pixel, `taps` source indices and float weights; area averaging
// when shrinking (the mean over [x·scale, (x+1)·scale)), bilinear with
// half-pixel centres when enlarging. Only outputs first .. first+count-1.
function table(inSize, outSize, first, count) {
  const scale = inSize / outSize;
  const area = outSize < inSize;
  const taps = area ? Math.ceil(scale) + 1 : 2;
  const index = new Int32Array(count * taps);
  const weight = new Float32Array(count * taps);
  for (let j = 0; j < count; j++) {
    const x = first + j;
    if (area) {
      const start = x * scale;
      const end = (x + 1) * scale;
      const lo = Math.floor(start);
      for (let k = 0; k < taps; k++) {
        const i = lo + k;
        const overlap = Math.min(end, i + 1) - Math.max(start, i);
        index[j * taps + k] = Math.min(i, inSize - 1);
        weight[j * taps + k] = overlap > 0 && i < inSize ? overlap / scale : 0;
      }
    } else {
      const src = (x + 0.5) * scale - 0.5;
      const left = Math.floor(src);
      const frac = src - left;
      index[j * taps] = Math.min(Math.max(left, 0), inSize - 1);
      index[j * taps + 1] = Math.min(Math.max(left + 1, 0), inSize - 1);
      weight[j * taps] = 1 - frac;
      weight[j * taps + 1] = frac;
    }
  }
  return { taps, index, weight };
}

// The CROP x CROP window at (left, top) of the image (interleaved 8-bit RGB,
// w x h) resized to ow x oh, as planar float32 in [0, 1]; only the rows and
// columns the crop keeps are computed.
function resizeCrop(data, w, h, ow, oh, left, top) {
  const cols = table(w, ow, left, CROP);
  const rows = table(h, oh, top, CROP);
  let y0 = h;
  let y1 = 0;
  for (let i = 0; i < rows.index.length; i++) {
    y0 = Math.min(y0, rows.index[i]);
    y1 = Math.max(y1, rows.index[i]);
  }
  const nrows = y1 - y0 + 1;
  const plane = CROP * CROP;
  const pass = new Float32Array(3 * nrows * CROP);
  for (let y = 0; y < nrows; y++) {
    const base = (y0 + y) * w * 3;
    for (let x = 0; x < CROP; x++) {
      let r = 0;
      let g = 0;
      let b = 0;
      for (let k = 0; k < cols.taps; k++) {
        const wt = cols.weight[x * cols.taps + k];
        const p = base + 3 * cols.index[x * cols.taps + k];
        r += wt * (data[p] / 255);
        g += wt * (data[p + 1] / 255);
        b += wt * (data[p + 2] / 255);
      }
      pass[y * CROP + x] = r;
      pass[nrows * CROP + y * CROP + x] = g;
      pass[2 * nrows * CROP + y * CROP + x] = b;
    }
  }
  const out = new Float32Array(3 * plane);
  for (let c = 0; c < 3; c++) {
    for (let y = 0; y < CROP; y++) {
      const o = c * plane + y * CROP;
      for (let k = 0; k < rows.taps; k++) {
        const wt = rows.weight[y * rows.taps + k];
        const p = c * nrows * CROP + (rows.index[y * rows.taps + k] - y0) * CROP;
        for (let x = 0; x < CROP; x++) out[o + x] += wt * pass[p + x];
      }
    }
  }
  return out;
}

async function prepare(file) {
  const t0 = now();
  const buf = await fs.promises.readFile(file);
  const meta = await sharp(buf).metadata();
  let w = meta.width;
  let h = meta.height;
  if ((meta.orientation || 1) >= 5) [w, h] = [h, w];
  let ow;
  let oh;
  if (h <= w) { oh = RESIZE; ow = Math.floor((w * RESIZE) / h); } else { ow = RESIZE; oh = Math.floor((h * RESIZE) / w); }
  const top = rint((oh - CROP) / 2);
  const left = rint((ow - CROP) / 2);
  if (opt.resize === 'area') {
    // every pixel decoded (sharp cannot hand over a JPEG decoded at 1/2,
    // 1/4 or 1/8 without resampling it), then cnnfilt's area averaging here
    const { data, info } = await sharp(buf, { failOn: 'error' }).rotate().removeAlpha()
      .toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`unexpected ${info.channels} bands`);
    const x = resizeCrop(data, info.width, info.height, ow, oh, left, top);
    if (standardize) {
      const plane = CROP * CROP;
      for (let c = 0; c < 3; c++)
        for (let i = 0; i < plane; i++) x[c * plane + i] = (x[c * plane + i] - MEAN[c]) / STD[c];
    }
    return { x, dt: now() - t0 };
  }
  const { data, info } = await sharp(buf, { failOn: 'error' })
    .rotate()
    .resize(ow, oh, { fit: 'fill', kernel: opt.kernel, fastShrinkOnLoad: opt.fastShrink })
    .extract({ left, top, width: CROP, height: CROP })
    .removeAlpha()
    .toColourspace('srgb')
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 3 || info.width !== CROP || info.height !== CROP)
    throw new Error(`unexpected ${info.width}x${info.height}x${info.channels}`);
  const plane = CROP * CROP;
  const x = new Float32Array(3 * plane);
  for (let c = 0; c < 3; c++) {
    const m = standardize ? MEAN[c] : 0;
    const s = standardize ? 1 / STD[c] : 1;
    for (let i = 0; i < plane; i++) x[c * plane + i] = (data[3 * i + c] / 255 - m) * s;
  }
  return { x, dt: now() - t0 };
}

function writeNpy(file, data, rows, cols) {
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${rows}, ${cols}), }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const head = Buffer.alloc(10);
  head.write('\x93NUMPY', 0, 'latin1');
  head[6] = 1; head[7] = 0;
  head.writeUInt16LE(header.length, 8);
  fs.writeFileSync(file, Buffer.concat([head, Buffer.from(header, 'latin1'),
    Buffer.from(data.buffer, data.byteOffset, data.byteLength)]));
}

async function main() {
  const files = listImages(root);
  let t = now();
  const session = await ort.InferenceSession.create(modelPath, {
    executionProviders: ['cpu'], intraOpNumThreads: opt.threads, interOpNumThreads: 1,
    executionMode: 'sequential', graphOptimizationLevel: 'all',
  });
  const tLoad = now() - t;
  const inName = session.inputNames[0];
  const outName = session.outputNames[0];
  const dims = session.inputMetadata && session.inputMetadata[0] && session.inputMetadata[0].shape;
  let batch = opt.batch;
  let note = '';
  if (dims && typeof dims[0] === 'number' && dims[0] > 0 && dims[0] !== batch) {
    note = ` (the model's batch axis is fixed at ${dims[0]}: --batch ${batch} not possible)`;
    batch = dims[0];
  }

  const done = [];
  const vectors = [];
  let dim = 0;
  let failed = 0;
  let tPrep = 0;
  let tRun = 0;
  const inflight = [];
  let next = 0;
  const ahead = Math.max(opt.prefetch, 1);
  const launch = () => {
    while (next < files.length && inflight.length < ahead) {
      const f = files[next++];
      inflight.push({ f, p: prepare(f).then((r) => r, (e) => ({ error: e })) });
    }
  };
  let pending = [];
  let pendingPaths = [];
  const run = async () => {
    const n = pending.length;
    const x = new Float32Array(n * 3 * CROP * CROP);
    pending.forEach((v, i) => x.set(v, i * 3 * CROP * CROP));
    const t0 = now();
    const r = await session.run({ [inName]: new ort.Tensor('float32', x, [n, 3, CROP, CROP]) });
    tRun += now() - t0;
    const y = r[outName];
    dim = y.data.length / n;
    for (let i = 0; i < n; i++) vectors.push(y.data.slice(i * dim, (i + 1) * dim));
    done.push(...pendingPaths);
    pending = [];
    pendingPaths = [];
  };
  launch();
  while (inflight.length) {
    const { f, p } = inflight.shift();
    if (opt.prefetch > 0) launch();
    const r = await p;
    if (opt.prefetch === 0) launch();
    if (r.error) { console.error(`${f}: ${r.error.message}`); failed++; continue; }
    tPrep += r.dt;
    pending.push(r.x);
    pendingPaths.push(f);
    if (pending.length === batch) await run();
  }
  if (pending.length) await run();

  t = now();
  const out = new Float32Array(vectors.length * dim);
  vectors.forEach((v, i) => {
    let s = 0;
    for (let k = 0; k < dim; k++) s += v[k] * v[k];
    const inv = 1 / Math.max(Math.sqrt(s), 1e-12);
    for (let k = 0; k < dim; k++) out[i * dim + k] = v[k] * inv;
  });
  writeNpy(outNpy, out, vectors.length, dim);
  fs.writeFileSync(outPaths, done.map((p) => p + '\n').join(''));
  const tWrite = now() - t;
  const total = Number(process.hrtime.bigint() - tStart) * 1e-9;
  console.error(`ort: ${done.length} images (${failed} failed), model load ${tLoad.toFixed(2)} s, ` +
    `preparation ${tPrep.toFixed(2)} s (summed over ${ahead} in flight), forward ${tRun.toFixed(2)} s ` +
    `(batch ${batch}${note}, ${opt.threads} threads), writing ${tWrite.toFixed(2)} s, total ${total.toFixed(2)} s`);
  return failed ? 1 : 0;
}

main().then((code) => process.exit(code), (e) => { console.error(`embed_ort.js: ${e.stack || e}`); process.exit(1); });
