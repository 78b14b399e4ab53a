// gen_human_golden.mjs: Human's own face pipeline (blazeface.ts, facemeshutil.ts, facemesh.ts, iris.ts, antispoof.ts, liveness.ts, emotion.ts, gear.ts) re-run in TensorFlow.js (cpu) on one image, for tests/face/test_human.c.
// Usage: node tools/gen_human_golden.mjs MODEL_DIR RGB_FILE WIDTH HEIGHT OUT.json   (NODE_PATH at a tfjs 4.22 install)
// RGB_FILE holds the image's decoded pixels (width*height*3 bytes), as facekit decodes it: the test
// writes it with FK_TEST_DUMP_RGB=FILE and checks its own decode against the sha256 recorded here.
// Each step is the tfjs call Human 3.x makes, with detector.square = true (as facekit pads the image).
import crypto from 'crypto';
import fs from 'fs';
import path from 'path';
import { createRequire } from 'module';
const require = createRequire(path.join(process.env.NODE_PATH || process.cwd(), 'x.js'));
const tf = require('@tensorflow/tfjs');
await tf.setBackend('cpu');

const [dir, rgbFile, W, H, out] = process.argv.slice(2);
const width = +W, height = +H;
const rgb = fs.readFileSync(rgbFile);
if (rgb.length !== width * height * 3) throw new Error(`${rgbFile}: ${rgb.length} bytes, not ${width}x${height}x3`);

async function load(name) {
  const json = JSON.parse(fs.readFileSync(path.join(dir, name + '.json'), 'utf8'));
  return tf.loadGraphModel({
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
  });
}

const input = tf.tensor4d(Float32Array.from(rgb), [1, height, width, 3]);
const models = {};
for (const m of ['blazeface', 'facemesh', 'antispoof', 'liveness', 'emotion', 'gear', 'iris']) models[m] = await load(m);

// blazeface.ts getBoxes with detector.square
const inputSize = models.blazeface.inputs[0].shape[2];
const anchors = [];
for (const [stride, per] of [[inputSize / 16, 2], [inputSize / 8, 6]]) {
  const grid = Math.floor((inputSize + stride - 1) / stride);
  for (let gy = 0; gy < grid; gy++) for (let gx = 0; gx < grid; gx++) for (let n = 0; n < per; n++) anchors.push([stride * (gx + 0.5), stride * (gy + 0.5)]);
}
const xy = Math.max(width, height);
const pad = [Math.floor((xy - width) / 2), Math.floor((xy - height) / 2)];
const padded = tf.pad(input, [[0, 0], [pad[1], pad[1]], [pad[0], pad[0]], [0, 0]]);
const resized = tf.image.resizeBilinear(padded, [inputSize, inputSize]);
const normalized = tf.sub(tf.div(resized, 127.5), 1);
const res = models.blazeface.execute(normalized);
const sorted = res.sort((a, b) => a.size - b.size);
const batch = tf.squeeze(tf.concat([tf.concat([sorted[1], sorted[3]], 2), tf.concat([sorted[0], sorted[2]], 2)], 1), [0]);
const rows = batch.arraySync();
const k = xy / inputSize;
const faces = [];
for (let i = 0; i < rows.length; i++) {
  const r = rows[i], score = 1 / (1 + Math.exp(-r[0]));
  if (score < 0.5) continue;
  const cx = r[1] + anchors[i][0], cy = r[2] + anchors[i][1];
  faces.push({ anchor: i, score, box: [(cx - r[3] / 2) * k - pad[0], (cy - r[4] / 2) * k - pad[1], r[3] * k, r[4] * k],
    keypoints: [0, 1, 2, 3, 4, 5].map((p) => [(r[5 + 2 * p] + anchors[i][0]) * k - pad[0], (r[6 + 2 * p] + anchors[i][1]) * k - pad[1]]) });
}
// non-maximum suppression as tf.image.nonMaxSuppression at IoU 0.5 (facekit's default)
const boxesT = tf.tensor2d(faces.map((f) => [f.box[1], f.box[0], f.box[1] + f.box[3], f.box[0] + f.box[2]]));
const keep = faces.length ? await tf.image.nonMaxSuppressionAsync(boxesT, faces.map((f) => f.score), 100, 0.5, 0.5) : tf.tensor1d([], 'int32');
const kept = Array.from(keep.dataSync()).map((i) => faces[i]);

// iris.ts augmentIris, the parts of facemeshcoords.ts it uses
const parts = { // key: [iris model indices, left eye mesh indices, right eye mesh indices]
  EyeUpper0: [[9, 10, 11, 12, 13, 14, 15], [466, 388, 387, 386, 385, 384, 398], [246, 161, 160, 159, 158, 157, 173]],
  EyeUpper1: [[25, 26, 27, 28, 29, 30, 31], [467, 260, 259, 257, 258, 286, 414], [247, 30, 29, 27, 28, 56, 190]],
  EyeUpper2: [[41, 42, 43, 44, 45, 46, 47], [342, 445, 444, 443, 442, 441, 413], [113, 225, 224, 223, 222, 221, 189]],
  EyeLower0: [[0, 1, 2, 3, 4, 5, 6, 7, 8], [263, 249, 390, 373, 374, 380, 381, 382, 362], [33, 7, 163, 144, 145, 153, 154, 155, 133]],
  EyeLower1: [[16, 17, 18, 19, 20, 21, 22, 23, 24], [359, 255, 339, 254, 253, 252, 256, 341, 463], [130, 25, 110, 24, 23, 22, 26, 112, 243]],
  EyeLower2: [[32, 33, 34, 35, 36, 37, 38, 39, 40], [446, 261, 448, 449, 450, 451, 452, 453, 464], [226, 31, 228, 229, 230, 231, 232, 233, 244]],
  EyeLower3: [[54, 55, 56, 57, 58, 59, 60, 61, 62], [372, 340, 346, 347, 348, 349, 350, 357, 465], [143, 111, 117, 118, 119, 120, 121, 128, 245]],
  EyebrowUpper: [[63, 64, 65, 66, 67, 68, 69, 70], [383, 300, 293, 334, 296, 336, 285, 417], [156, 70, 63, 105, 66, 107, 55, 193]],
  EyebrowLower: [[48, 49, 50, 51, 52, 53], [265, 353, 276, 283, 282, 295], [35, 124, 46, 53, 52, 65]],
};
function eyeBox(raw, a, b) { // calculateLandmarksBoundingBox, enlargeBox(2.3), squarifyBox
  const x0 = Math.min(raw[a][0], raw[b][0]), x1 = Math.max(raw[a][0], raw[b][0]);
  const y0 = Math.min(raw[a][1], raw[b][1]), y1 = Math.max(raw[a][1], raw[b][1]);
  const cx = x0 + (x1 - x0) / 2, cy = y0 + (y1 - y0) / 2, hw = 2.3 * (x1 - x0) / 2, hh = 2.3 * (y1 - y0) / 2;
  const e = [cx - hw, cy - hh, cx + hw, cy + hh], c2 = [e[0] + (e[2] - e[0]) / 2, e[1] + (e[3] - e[1]) / 2];
  const half = Math.max(e[2] - e[0], e[3] - e[1]) / 2;
  return [Math.round(c2[0] - half), Math.round(c2[1] - half), Math.round(c2[0] + half), Math.round(c2[1] + half)];
}
function eyeCoords(face, box, flip) {
  const n = models.iris.inputs[0].shape[2];
  let crop = tf.image.cropAndResize(face, [[box[1] / 192, box[0] / 192, box[3] / 192, box[2] / 192]], [0], [n, n]);
  if (flip) crop = tf.image.flipLeftRight(crop);
  const d = models.iris.execute(crop).dataSync(), out = [];
  for (let i = 0; i < 76; i++) {
    const x = d[3 * i] / n;
    out.push([(flip ? 1 - x : x) * (box[2] - box[0]) + box[0], d[3 * i + 1] / n * (box[3] - box[1]) + box[1], d[3 * i + 2]]);
  }
  return out;
}
function augmentIris(raw, face) {
  const left = eyeCoords(face, eyeBox(raw, 263, 362), true), right = eyeCoords(face, eyeBox(raw, 33, 133), false);
  const replace = (eye, side, keys) => { for (const [key, [ii, l, r]] of Object.entries(parts)) {
    if (keys && !keys.includes(key)) continue;
    const m = side === 'left' ? l : r;
    for (let j = 0; j < ii.length; j++) raw[m[j]] = [eye[ii[j]][0], eye[ii[j]][1], (eye[ii[j]][2] + raw[m[j]][2]) / 2];
  } };
  const depth = raw[263][2] - raw[33][2];
  if (Math.abs(depth) < 30) { replace(left, 'left', null); replace(right, 'right', null); }
  else if (depth < 1) replace(left, 'left', ['EyeUpper0', 'EyeLower0']);
  else replace(right, 'right', ['EyeUpper0', 'EyeLower0']);
  const adjust = (eye, side) => {
    const up = raw[parts.EyeUpper0[side === 'left' ? 1 : 2][3]][2], lo = raw[parts.EyeLower0[side === 'left' ? 1 : 2][4]][2];
    return eye.slice(71).map((q, i) => [q[0], q[1], i === 2 ? up : i === 4 ? lo : (up + lo) / 2]);
  };
  return raw.concat(adjust(left, 'left')).concat(adjust(right, 'right'));
}

// each face: enlargeBox(1.4), squarifyBox (rounded corners), cutAndResize to 192 / 255, then every model
for (const f of kept) {
  const cx = f.box[0] + f.box[2] / 2, cy = f.box[1] + f.box[3] / 2, half = 1.4 * Math.max(f.box[2], f.box[3]) / 2;
  const sq = [Math.round(cx - half), Math.round(cy - half), Math.round(cx + half), Math.round(cy + half)];
  f.crop = [sq[0], sq[1], sq[2] - sq[0], sq[3] - sq[1]];
  const cut = [sq[1] / height, sq[0] / width, sq[3] / height, sq[2] / width];
  const face = tf.div(tf.image.cropAndResize(input, [cut], [0], [192, 192]), 255);
  const mesh = models.facemesh.execute(face);
  const meshT = mesh.find((t) => t.shape[t.shape.length - 1] === 1404);
  f.mesh_score = mesh.find((t) => t.shape[t.shape.length - 1] === 1).dataSync()[0];
  const flat = Array.from(meshT.dataSync()), s = f.crop[2] / 192, mx = sq[0] + f.crop[2] / 2, my = sq[1] + f.crop[3] / 2;
  let raw = [];
  for (let p = 0; p < 468; p++) raw.push([flat[3 * p], flat[3 * p + 1], flat[3 * p + 2]]);
  raw = augmentIris(raw, face); // Human's default: config.face.iris.enabled
  const img = (q) => [mx + s * (q[0] - 96), my + s * (q[1] - 96), s * q[2]];
  f.mesh = [];
  for (let p = 0; p < 468; p += 13) f.mesh.push([p, ...img(raw[p])]);
  f.eyes = [33, 133, 263, 362, 159, 145, 386, 374].map((p) => [p, ...img(raw[p])]);
  f.iris = raw.slice(468).map(img);
  const rs = (m) => tf.image.resizeBilinear(face, [models[m].inputs[0].shape[2], models[m].inputs[0].shape[1]], false);
  f.antispoof = models.antispoof.execute(rs('antispoof')).dataSync()[0];
  f.liveness = models.liveness.execute(rs('liveness')).dataSync()[0];
  const grey = tf.mul(tf.sub(tf.sum(tf.mul(tf.image.resizeBilinear(face, [64, 64], false), [0.2989, 0.5870, 0.1140]), 3, true), 0.5), 2);
  f.emotion = Array.from(models.emotion.execute(grey).dataSync());
  const gearIn = tf.image.cropAndResize(face, [[0.0, 0.10, 0.90, 0.90]], [0], [models.gear.inputs[0].shape[2], models.gear.inputs[0].shape[1]]);
  const [age, gender, race] = models.gear.execute(gearIn, ['age_output', 'gender_output', 'race_output']);
  f.gear = { age: Array.from(age.dataSync()), gender: Array.from(gender.dataSync()), race: Array.from(race.dataSync()) };
}
const sha = crypto.createHash('sha256').update(rgb).digest('hex');
fs.writeFileSync(out, JSON.stringify({ width, height, rgb_sha256: sha, tfjs: tf.version.tfjs, backend: tf.getBackend(), faces: kept }));
console.log(`${kept.length} faces:`, kept.map((f) => `${f.box.map((v) => v.toFixed(1))} ${f.score.toFixed(3)} live ${f.liveness.toFixed(3)} real ${f.antispoof.toFixed(3)}`).join('; '));
