// Model files of format version 1 (dense models described by hiddenDims, written before layer
// specs; test/fixtures/format-v1/, made by scripts/make-v1-fixture.mjs on that commit) load in
// today's wavae and give bitwise the same outputs on both backends, and keep training.
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as wv from '../src/node.js';

const dir = new URL('./fixtures/format-v1/', import.meta.url);
const outputs = JSON.parse(fs.readFileSync(new URL('outputs.json', dir), 'utf8')) as Record<string, {
  x: number[]; z: number[];
  js: Produced; wasm: Produced;
}>;
interface Produced {
  encode: number[] | { mean: number[]; logVar: number[] };
  decode: number[];
  evaluate: { loss: number; reconstruction: number; kl: number };
}

for (const backend of ['js', 'wasm'] as const) {
  describe(`format version 1 files on ${backend}`, () => {
    for (const [name, want] of Object.entries(outputs)) {
      it(`${name}: loads, and encode, decode and evaluate give the same bits as the version that wrote it`, async () => {
        await wv.init({ backend, threads: 1, strict: true });
        const bytes = new Uint8Array(fs.readFileSync(new URL(`${name}.safetensors`, dir)));
        const model = wv.load(bytes);
        // saved again, the file is byte for byte the one version 1 wrote (the format of dense models did not change)
        expect(Buffer.from(model.save({ optimizer: true })).equals(Buffer.from(bytes))).toBe(true);
        const x = Float32Array.from(want.x);
        const z = Float32Array.from(want.z);
        const got = want[backend];
        if (model instanceof wv.VAE) {
          const enc = model.encode(x);
          const e = got.encode as { mean: number[]; logVar: number[] };
          expect(Array.from(enc.mean.data)).toEqual(e.mean);
          expect(Array.from(enc.logVar.data)).toEqual(e.logVar);
          expect(model.evaluate(x, { seed: 5 })).toEqual(got.evaluate);
        } else {
          expect(Array.from(model.encode(x).data)).toEqual(got.encode);
          expect(model.evaluate(x)).toEqual(got.evaluate);
        }
        expect(Array.from(model.decode(z).data)).toEqual(got.decode);
        // the optimizer state came along: training resumes from step 4
        expect(model.optimizer?.step).toBe(4);
        const history = await model.fit(x, { epochs: 1, batchSize: 4, optimizer: { type: 'adam', lr: 1e-2 } });
        expect(history.loss.every(Number.isFinite)).toBe(true);
        expect(model.optimizer?.step).toBe(6);
        model.dispose();
      });
    }
  });
}
