// Writes test/fixtures/format-v1/: model files written by wavae's format version 1 (the dense-only
// format, before layer specs) and their outputs for fixed inputs, so that later versions prove
// they load these files and give bitwise the same outputs. Run once, on the commit that still
// wrote version 1 (kept for the record; rerunning on a later wavae writes that version's files).
import fs from 'node:fs';
import * as wv from '../dist/node.js';

await wv.init({ backend: 'js' });
const out = new URL('../test/fixtures/format-v1/', import.meta.url);
fs.mkdirSync(out, { recursive: true });
const rows = 5;
const det = (n, scale) => Float32Array.from({ length: n }, (_, i) => Math.fround(((i * 7919) % 101) / 101 * scale));
const cases = {
  'vae-bernoulli': () => new wv.VAE({ inputDim: 12, hiddenDims: [9, 7], latentDim: 3, activation: 'tanh', beta: 0.5, seed: 11 }),
  'vae-gaussian': () => new wv.VAE({ inputDim: 10, hiddenDims: [8], latentDim: 2, likelihood: 'gaussian', outputVariance: 'learned', weightDecay: 1e-3, seed: 12 }),
  'ae-mse': () => new wv.Autoencoder({ inputDim: 11, hiddenDims: [6], latentDim: 4, activation: 'leaky_relu', denoise: { type: 'mask', prob: 0.2 }, seed: 13 }),
};
const outputs = {};
for (const [name, make] of Object.entries(cases)) {
  const model = make();
  const x = det(rows * model.inputDim, 1);
  await model.fit(x, { epochs: 2, batchSize: 4, optimizer: { type: 'adam', lr: 1e-2 } });
  fs.writeFileSync(new URL(`${name}.safetensors`, out), model.save({ optimizer: true }));
  outputs[name] = { x: Array.from(x), z: Array.from(det(rows * model.latentDim, 2)) };
}
// the outputs of each file, loaded on each backend (strict SIMD, one thread, for wasm)
for (const backend of ['js', 'wasm']) {
  await wv.init({ backend, threads: 1, strict: true });
  for (const name of Object.keys(cases)) {
    const model = wv.load(new Uint8Array(fs.readFileSync(new URL(`${name}.safetensors`, out))));
    const { x, z } = outputs[name];
    const enc = model.encode(Float32Array.from(x));
    outputs[name][backend] = {
      encode: model.kind === 'vae' ? { mean: Array.from(enc.mean.data), logVar: Array.from(enc.logVar.data) } : Array.from(enc.data),
      decode: Array.from(model.decode(Float32Array.from(z)).data),
      evaluate: model.kind === 'vae' ? model.evaluate(Float32Array.from(x), { seed: 5 }) : model.evaluate(Float32Array.from(x)),
    };
  }
}
wv.shutdown();
fs.writeFileSync(new URL('outputs.json', out), JSON.stringify(outputs, null, 1) + '\n');
console.log('wrote', Object.keys(outputs).join(', '));
