// gen_expression_golden.mjs: face-api's FaceExpressionNet (tfjs cpu) on the fixed 112x112 input, for tests/golden/test_expression.c.
// Usage: node tools/gen_expression_golden.mjs FACEAPI_MODEL_DIR OUT.json   (NODE_PATH at a tfjs 4.22 + face-api 1.7.15 install)
// The input: sin(0.007 i) * 127.5 + 127.5 over the packed 112x112x3 RGB sample (0..255, as a photo).
import fs from 'fs';
import path from 'path';
import { createRequire } from 'module';
const require = createRequire(path.join(process.env.NODE_PATH || process.cwd(), 'x.js'));
const tf = require('@tensorflow/tfjs');
const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js');
await tf.setBackend('cpu');
const [dir, out] = process.argv.slice(2);
const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'face_expression_model-weights_manifest.json'), 'utf8'));
const bufs = manifest.flatMap((g) => g.paths.map((p) => fs.readFileSync(path.join(dir, p))));
const all = Buffer.concat(bufs);
const weights = tf.io.decodeWeights(all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength), manifest.flatMap((g) => g.weights));
faceapi.nets.faceExpressionNet.loadFromWeightMap(weights);
const n = 112 * 112 * 3, v = new Float32Array(n);
for (let i = 0; i < n; i++) v[i] = Math.fround(Math.sin(0.007 * i) * 127.5 + 127.5);
const x = tf.tensor4d(v, [1, 112, 112, 3]);
const p = await faceapi.nets.faceExpressionNet.predictExpressions(x);
const probs = faceapi.FaceExpressions ? Object.values(p).slice(0, 7) : p;
fs.writeFileSync(out, JSON.stringify({ model: 'face_expression_model', tfjs: tf.version.tfjs, backend: tf.getBackend(), expressions: p }));
console.log(p);
