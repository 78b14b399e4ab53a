// gen_tfgraph_golden.mjs: TensorFlow.js (cpu backend) outputs of the human-models graph models on a fixed input, for tests/nn/test_tfgraph.c.
// Usage: node tools/gen_tfgraph_golden.mjs MODEL_DIR OUT_DIR [MODEL...]   (run with NODE_PATH at a tfjs 4.22 install, e.g. a copy of ../shared/peers)
// Without MODEL names it writes every model test_tfgraph.c checks.
import fs from 'fs';
import path from 'path';
import { createRequire } from 'module';
const require = createRequire(path.join(process.env.NODE_PATH || process.cwd(), 'x.js'));
const tf = require('@tensorflow/tfjs');
await tf.setBackend('cpu');

const [dir, out, ...only] = process.argv.slice(2);
const all = ['antispoof', 'liveness', 'emotion', 'gender', 'gear', 'blazeface', 'blazeface-front', 'faceres', 'facemesh',
  'age', 'mobileface', 'mobilefacenet', 'iris'];
const names = only.length ? only : all;
// the input every reference uses: sin(0.007 i) * 0.5 + 0.5 over the packed NHWC sample (the test computes the same)
function input(h, w, c) {
  const n = h * w * c, v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = Math.fround(Math.sin(0.007 * i) * 0.5 + 0.5);
  return tf.tensor4d(v, [1, h, w, c]);
}
fs.mkdirSync(out, { recursive: true });
for (const name of names) {
  const file = path.join(dir, name + '.json');
  const json = JSON.parse(fs.readFileSync(file, 'utf8'));
  const handler = {
    load: async () => {
      const specs = [], bufs = [];
      for (const g of json.weightsManifest) {
        specs.push(...g.weights);
        for (const p of g.paths) bufs.push(fs.readFileSync(path.join(dir, p)));
      }
      const all = Buffer.concat(bufs);
      return { modelTopology: json.modelTopology, weightSpecs: specs,
        weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength), format: json.format,
        signature: json.signature, userDefinedMetadata: json.userDefinedMetadata };
    },
  };
  const model = await tf.loadGraphModel(handler);
  const shape = model.inputs[0].shape;
  const h = shape[1], w = shape[2], c = shape[3];
  const x = input(h, w, c);
  let ys = model.execute(x);
  if (!Array.isArray(ys)) ys = [ys];
  const outputs = model.outputs.map((o, k) => {
    const data = Array.from(ys[k].dataSync());
    // a fixed sample of long outputs keeps the file small: every stride-th value
    const stride = Math.max(1, Math.floor(data.length / 256));
    return { name: o.name, shape: ys[k].shape, count: data.length, stride, values: data.filter((_, i) => i % stride === 0) };
  });
  fs.writeFileSync(path.join(out, name + '.json'), JSON.stringify({ model: name, input: [h, w, c], tfjs: tf.version.tfjs, backend: tf.getBackend(), outputs }));
  console.log(name, outputs.map((o) => `${o.name}[${o.shape}] ${o.values.slice(0, 3).map((v) => v.toFixed(6)).join(' ')}`).join('; '));
}
