#!/usr/bin/env node
// ONNX Runtime peer for bench/layers: times each single-Conv model of
// make_models.py with onnxruntime-node (CPU execution provider).
//
//   node ort.js SHAPES MODELS_DIR [--batch N] [--min-time 0.5] [--min-reps 5]
//               [--threads 2] [--only SUBSTR] [--optimized-dir DIR]
//
// Same output lines as engines.c (I / R / S, tab-separated).  The session
// uses intraOpNumThreads = --threads, graph optimisation level "all" (ORT
// then rewrites the Conv into its NCHWc blocked kernels with a layout
// reorder on each side: those reorders are inside the timing, as for
// dnnl-reorder).  The output tensor is preallocated and passed as a fetch
// when the binding accepts that, so no run allocates.  With --optimized-dir
// each session also writes its optimised graph there (report.py lists the
// node types that ran).
'use strict';
const fs = require('fs');
const path = require('path');
const ort = require('onnxruntime-node');

function usage() {
  console.error('usage: node ort.js SHAPES MODELS_DIR [--batch N] [--min-time S] [--min-reps N] [--threads N] [--only S] [--optimized-dir D]');
  process.exit(2);
}

const args = process.argv.slice(2);
const pos = [];
const opt = { batch: 0, minTime: 0.5, minReps: 5, threads: 2, only: null, optimizedDir: null };
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === '--batch') opt.batch = +args[++i];
  else if (a === '--min-time') opt.minTime = +args[++i];
  else if (a === '--min-reps') opt.minReps = +args[++i];
  else if (a === '--threads') opt.threads = +args[++i];
  else if (a === '--only') opt.only = args[++i];
  else if (a === '--optimized-dir') opt.optimizedDir = args[++i];
  else if (a.startsWith('-')) usage();
  else pos.push(a);
}
if (pos.length !== 2) usage();
const [shapesPath, modelsDir] = pos;

function readShapes(p) {
  const rows = [];
  for (const line of fs.readFileSync(p, 'utf8').split('\n')) {
    const f = line.trim().split(/\s+/);
    if (!f[0] || f[0].startsWith('#') || f.length < 11) continue;
    const [N, C, H, W, O, kh, kw, stride, pad, count] = f.slice(1, 11).map(Number);
    const Ho = Math.floor((H + 2 * pad - kh) / stride) + 1;
    const Wo = Math.floor((W + 2 * pad - kw) / stride) + 1;
    rows.push({ name: f[0], N, C, H, W, O, kh, kw, stride, pad, count, Ho, Wo,
                flops: 2 * N * O * C * kh * kw * Ho * Wo });
  }
  return rows;
}

const now = () => Number(process.hrtime.bigint()) * 1e-9;
const out = (...f) => process.stdout.write(f.join('\t') + '\n');

function libPath() {
  const dir = path.join(path.dirname(require.resolve('onnxruntime-node')), '..', 'bin');
  const found = [];
  const walk = (d) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (p.includes(`linux${path.sep}x64`) && e.name.startsWith('libonnxruntime.so')) found.push(p);
    }
  };
  try { walk(dir); } catch (e) { /* reported as none */ }
  return found.join(' ') || 'none found';
}

async function timeIt(fn) {
  const t0 = now();
  for (let i = 0; i < 2 || now() - t0 < 0.1; i++) await fn();
  const t = [];
  const start = now();
  while (t.length < opt.minReps || now() - start < opt.minTime) {
    const a = now();
    await fn();
    t.push(now() - a);
    if (t.length >= 100000) break;
  }
  t.sort((x, y) => x - y);
  const n = t.length;
  return [n % 2 ? t[(n - 1) / 2] : 0.5 * (t[n / 2 - 1] + t[n / 2]), n];
}

async function main() {
  const pkg = require('onnxruntime-node/package.json');
  out('I', 'ort', 'onnxruntime-node', pkg.version);
  out('I', 'ort', 'ort.env.versions', JSON.stringify(ort.env.versions || {}));
  out('I', 'ort', 'native library', libPath());
  out('I', 'ort', 'session', `executionProviders=cpu intraOpNumThreads=${opt.threads} interOpNumThreads=1 graphOptimizationLevel=all executionMode=sequential`);
  out('I', 'ort', 'node', process.version);

  if (opt.optimizedDir) fs.mkdirSync(opt.optimizedDir, { recursive: true });
  let prealloc = true;
  for (const r of readShapes(shapesPath)) {
    if (opt.batch && r.N !== opt.batch) continue;
    if (opt.only && !r.name.includes(opt.only)) continue;
    const file = path.join(modelsDir, `${r.name}_n${r.N}.onnx`);
    if (!fs.existsSync(file)) { out('S', 'ort', r.name, r.N, `model missing: ${file}`); continue; }
    const so = {
      executionProviders: ['cpu'], intraOpNumThreads: opt.threads, interOpNumThreads: 1,
      graphOptimizationLevel: 'all', executionMode: 'sequential',
      logSeverityLevel: 3,  // quiet the "serialising an NCHWc-optimised graph" warning
    };
    if (opt.optimizedDir) so.optimizedModelFilePath = path.join(opt.optimizedDir, `${r.name}_n${r.N}.onnx`);
    let session;
    try {
      session = await ort.InferenceSession.create(file, so);
    } catch (e) {
      out('S', 'ort', r.name, r.N, `session: ${String(e.message || e).replace(/\s+/g, ' ')}`);
      continue;
    }
    const x = new Float32Array(r.N * r.C * r.H * r.W);
    for (let i = 0; i < x.length; i++) x[i] = Math.random() * 2 - 1;
    const feeds = { X: new ort.Tensor('float32', x, [r.N, r.C, r.H, r.W]) };
    const y = new ort.Tensor('float32', new Float32Array(r.N * r.O * r.Ho * r.Wo), [r.N, r.O, r.Ho, r.Wo]);
    let run = () => session.run(feeds, { Y: y });
    let note = 'preallocated output';
    if (prealloc) {
      try { await run(); } catch (e) { prealloc = false; out('I', 'ort', 'prealloc', `rejected: ${e.message}`); }
    }
    if (!prealloc) { run = () => session.run(feeds); note = 'output allocated by each run'; }
    const [t, reps] = await timeIt(run);
    out('R', 'ort', r.name, r.N, (t * 1e3).toFixed(4), (r.flops / t * 1e-9).toFixed(2), reps, '-', note);
    await session.release();
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
