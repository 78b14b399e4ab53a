// bench_tfgraph_tfjs.mjs: the peer of bench/bench_tfgraph: median ms per execute of the same graph models on TensorFlow.js (wasm or cpu) in node.
// Usage: NODE_PATH=<copy of ../shared/peers>/node_modules node tools/bench_tfgraph_tfjs.mjs wasm|cpu MODEL_DIR MODEL...
import fs from 'fs'; import path from 'path'; import { createRequire } from 'module';
const require = createRequire(path.join(process.env.NODE_PATH || process.cwd(), 'x.js'));
const tf = require('@tensorflow/tfjs'); const tfwasm = require('@tensorflow/tfjs-backend-wasm');
tfwasm.setWasmPaths(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm')) + path.sep);
await tf.setBackend(process.argv[2] || 'wasm'); await tf.ready();
const dir = process.argv[3] || 'models/human';
for (const name of process.argv.slice(4)) {
  const json = JSON.parse(fs.readFileSync(path.join(dir, name + '.json'), 'utf8'));
  const model = await tf.loadGraphModel({ load: async () => { const specs = [], bufs = [];
    for (const g of json.weightsManifest) { specs.push(...g.weights); for (const p of g.paths) bufs.push(fs.readFileSync(path.join(dir, p))); }
    const all = Buffer.concat(bufs); return { modelTopology: json.modelTopology, weightSpecs: specs, weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength), signature: json.signature }; } });
  const s = model.inputs[0].shape; const x = tf.randomUniform([1, s[1], s[2], s[3]]);
  const t = [];
  for (let r = 0; r < 53; r++) { const t0 = performance.now(); let y = model.execute(x); if (!Array.isArray(y)) y = [y]; for (const v of y) v.dataSync(); if (r >= 3) t.push(performance.now() - t0); tf.dispose(y); }
  t.sort((a, b) => a - b);
  console.log(`${name} ${tf.getBackend()} ${t[25].toFixed(3)} ms`);
}
