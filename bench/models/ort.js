#!/usr/bin/env node
// ONNX Runtime engine of bench/models: times whole ONNX models with
// onnxruntime-node (CPU execution provider), like bench.py does for the
// Python engines, with the same arguments, input and output lines.
//
//   node ort.js MODEL_DIR [--models "resnet18 vgg16"] [--batches 1,8]
//               [--threads 2] [--min-time 0.5] [--min-reps 5] [--slow-reps 3]
//               [--logits PREFIX] [--probe DIR] [--profile DIR [--profile-runs 20]]
//
// Session: intraOpNumThreads = --threads, interOpNumThreads 1, sequential,
// graphOptimizationLevel "all" (ORT fuses Conv+Relu and moves convolutions
// to its NCHWc blocked kernels, MLAS, which pick AVX-512/AVX2 code by CPUID
// at run time). The output tensor is preallocated and passed as a fetch.
// Batch N is images i % 4 of MODEL_DIR/NAME/input.npy, as in bench.py.
// With --probe DIR nothing is timed: each session writes its optimised graph
// to DIR/NAME.onnx (report.py --ort-graphs summarises the node types).
// With --profile DIR nothing is timed either: each model and batch runs in a
// session with ORT's profiler on (enableProfiling), 3 warm-up runs then
// --profile-runs runs, and ORT writes DIR/NAME-bN_DATE.json (a Chrome trace:
// one event per node and run; profile_nodes.py summarises it, skipping the warm-up).
'use strict';
const fs = require('fs');
const path = require('path');
const ort = require('onnxruntime-node');

const args = process.argv.slice(2);
const pos = [];
const opt = { models: 'resnet18 vgg16 alexnet mobilenet_v2 resnet50 efficientnet_b0 mobilenet_v3_large ' +
                      'convnext_tiny regnet_y_800mf', batches: '1,8', threads: 2,
              minTime: 0.5, minReps: 5, slowReps: 3, logits: null, probe: null, profile: null,
              profileRuns: 20 };
const PROFILE_WARMUP = 3;
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === '--models') opt.models = args[++i];
  else if (a === '--batches') opt.batches = args[++i];
  else if (a === '--threads') opt.threads = +args[++i];
  else if (a === '--min-time') opt.minTime = +args[++i];
  else if (a === '--min-reps') opt.minReps = +args[++i];
  else if (a === '--slow-reps') opt.slowReps = +args[++i];
  else if (a === '--logits') opt.logits = args[++i];
  else if (a === '--probe') opt.probe = args[++i];
  else if (a === '--profile') opt.profile = args[++i];
  else if (a === '--profile-runs') opt.profileRuns = +args[++i];
  else if (a.startsWith('-')) { console.error(`ort.js: unknown option ${a}`); process.exit(2); }
  else pos.push(a);
}
if (pos.length !== 1) { console.error('usage: node ort.js MODEL_DIR [options]'); process.exit(2); }
const modelDir = pos[0];

const now = () => Number(process.hrtime.bigint()) * 1e-9;
const clean = (s) => String(s).replace(/\s+/g, ' ').trim().slice(0, 300);
const out = (...f) => process.stdout.write(f.map((x) => String(x).replace(/[\t\n]/g, ' ')).join('\t') + '\n');

// A float32 little-endian C-order .npy file: { shape, data }.
function readNpy(file) {
  const buf = fs.readFileSync(file);
  if (buf.toString('latin1', 1, 6) !== 'NUMPY') throw new Error(`${file}: not a .npy file`);
  const major = buf[6];
  const hlen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const start = major === 1 ? 10 : 12;
  const header = buf.toString('latin1', start, start + hlen);
  if (!/'descr':\s*'<f4'/.test(header) || /'fortran_order':\s*True/.test(header))
    throw new Error(`${file}: expected little-endian float32, C order (${header.trim()})`);
  const shape = header.match(/'shape':\s*\(([^)]*)\)/)[1].split(',').filter((s) => s.trim()).map(Number);
  const bytes = buf.subarray(start + hlen);
  const data = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
  return { shape, data };
}

function batchOf(images, n) {
  const per = images.shape.slice(1).reduce((a, b) => a * b, 1);
  const x = new Float32Array(n * per);
  for (let i = 0; i < n; i++)
    x.set(images.data.subarray((i % images.shape[0]) * per, (i % images.shape[0] + 1) * per), i * per);
  return new ort.Tensor('float32', x, [n, ...images.shape.slice(1)]);
}

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
  try { walk(dir); } catch (e) { /* none found */ }
  return found.join(' ') || 'none found';
}

async function timeIt(fn) {
  const warm = [];
  const t0 = now();
  while (warm.length < 2 || now() - t0 < 0.2) {
    const a = now();
    await fn();
    warm.push(now() - a);
  }
  const reps = Math.min(...warm) > 1.0 ? opt.slowReps : opt.minReps;
  const t = [];
  const start = now();
  while (t.length < reps || now() - start < opt.minTime) {
    const a = now();
    await fn();
    t.push(now() - a);
  }
  t.sort((x, y) => x - y);
  const n = t.length;
  return [n % 2 ? t[(n - 1) / 2] : 0.5 * (t[n / 2 - 1] + t[n / 2]), n];
}

// Each batch in its own session, so that each trace holds one batch size.
async function profile(model, file, images, batches, so) {
  for (const n of batches) {
    let session;
    try {
      session = await ort.InferenceSession.create(file, {
        ...so, enableProfiling: true, profileFilePrefix: path.join(opt.profile, `${model}-b${n}`) });
    } catch (e) {
      out('S', 'ort', model, n, `import failed: ${clean(e.message || e)}`);
      return;
    }
    try {
      const feeds = { [session.inputNames[0]]: batchOf(images, n) };
      for (let i = 0; i < PROFILE_WARMUP + opt.profileRuns; i++) await session.run(feeds);
      session.endProfiling();
      out('P', 'ort', model, n, PROFILE_WARMUP, opt.profileRuns);
    } catch (e) {
      out('S', 'ort', model, n, `run failed: ${clean(e.message || e)}`);
    }
    await session.release();
  }
}

async function main() {
  const pkg = require('onnxruntime-node/package.json');
  out('I', 'ort', 'version', `onnxruntime-node ${pkg.version}, ort.env.versions ${JSON.stringify(ort.env.versions || {})}`);
  out('I', 'ort', 'native library', libPath());
  out('I', 'ort', 'session', `executionProviders=cpu intraOpNumThreads=${opt.threads} interOpNumThreads=1 ` +
      'graphOptimizationLevel=all executionMode=sequential, preallocated output');
  out('I', 'ort', 'node', process.version);
  if (opt.probe) fs.mkdirSync(opt.probe, { recursive: true });
  if (opt.profile) fs.mkdirSync(opt.profile, { recursive: true });
  const batches = opt.batches.split(',').map(Number);

  for (const model of opt.models.split(/\s+/).filter(Boolean)) {
    const file = path.join(modelDir, model, 'model.onnx');
    if (!fs.existsSync(file)) { for (const n of batches) out('S', 'ort', model, n, `model missing: ${file}`); continue; }
    const images = readNpy(path.join(modelDir, model, 'input.npy'));
    const so = {
      executionProviders: ['cpu'], intraOpNumThreads: opt.threads, interOpNumThreads: 1,
      graphOptimizationLevel: 'all', executionMode: 'sequential',
      logSeverityLevel: 3,  // quiet the "serialising an NCHWc-optimised graph" warning
    };
    if (opt.probe) so.optimizedModelFilePath = path.join(opt.probe, `${model}.onnx`);
    if (opt.profile) {
      await profile(model, file, images, batches, so);
      continue;
    }
    let session;
    const t0 = now();
    try {
      session = await ort.InferenceSession.create(file, so);
    } catch (e) {
      for (const n of batches) out('S', 'ort', model, n, `import failed: ${clean(e.message || e)}`);
      continue;
    }
    const loadS = now() - t0;
    if (opt.probe) {
      out('K', 'ort', model, 'optimised graph', `${so.optimizedModelFilePath} (node types: report.py --ort-graphs)`);
      await session.release();
      continue;
    }
    const inName = session.inputNames[0];
    const outName = session.outputNames[0];
    for (const n of batches) {
      try {
        const feeds = { [inName]: batchOf(images, n) };
        const tf = now();
        const first = await session.run(feeds);
        const firstS = now() - tf;
        const y = new ort.Tensor('float32', new Float32Array(first[outName].data.length), first[outName].dims);
        const run = () => session.run(feeds, { [outName]: y });
        const [t, reps] = await timeIt(run);
        if (opt.logits) {
          await run();
          fs.writeFileSync(`${opt.logits}-${model}-b${n}.f32`, Buffer.from(y.data.buffer, y.data.byteOffset, y.data.byteLength));
        }
        out('R', 'ort', model, n, (t * 1e3).toFixed(4), reps, `load ${loadS.toFixed(3)} s; first run ${firstS.toFixed(3)} s`);
      } catch (e) {
        out('S', 'ort', model, n, `run failed: ${clean(e.message || e)}`);
      }
    }
    await session.release();
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
