// The model registry (src/models/registry.ts): every model kind is one entry, and loading,
// state_dict inference and the worker ask it rather than naming the kinds.
import { beforeAll, describe, expect, it } from 'vitest';
import * as wv from '../src/node.js';
import { MODEL_KINDS, kindOf, modelKind } from '../src/models/registry.js';
import { expectError } from './helpers.js';

describe('the model registry', () => {
  beforeAll(async () => {
    await wv.init({ backend: 'js' });
  });

  it('has one entry per kind, each building models of its kind that files bring back as that kind', () => {
    expect(MODEL_KINDS.map((k) => k.kind)).toEqual(['vae', 'autoencoder']);
    for (const entry of MODEL_KINDS) {
      const model = entry.create({ inputDim: 6, hiddenDims: [4], latentDim: 2 });
      expect(model.kind).toBe(entry.kind);
      expect(kindOf(model)).toBe(entry);
      expect(entry.tensors({ inputDim: 6, hiddenDims: [4], latentDim: 2 }).map((t) => t.name)).toEqual(model.layout.tensors.map((t) => t.name));
      const again = wv.load(model.save());
      expect(again.kind).toBe(entry.kind);
      expect(again.constructor).toBe(model.constructor);
      model.dispose();
      again.dispose();
    }
  });

  it('a file of a kind the registry does not know is CORRUPT_FILE naming the kinds it knows', () => {
    const vae = new wv.VAE({ inputDim: 6, hiddenDims: [4], latentDim: 2 });
    const { tensors, metadata } = wv.decodeSafetensors(vae.save());
    expectError(() => wv.load(wv.encodeSafetensors(tensors, { ...metadata, model: 'gan' })), 'CORRUPT_FILE', /unknown model kind "gan"; wavae knows vae, autoencoder/);
    expectError(() => modelKind('__proto__'), 'CORRUPT_FILE', /unknown model kind/);
    vae.dispose();
  });

  it('a PyTorch state_dict is matched against the kinds in order: heads make a VAE, a plain encoder an autoencoder', () => {
    for (const model of [new wv.VAE({ inputDim: 6, hiddenDims: [4], latentDim: 2 }), new wv.Autoencoder({ inputDim: 6, hiddenDims: [4], latentDim: 2 })]) {
      const p = model.parameters();
      const stateDict = Object.fromEntries(model.layout.tensors.map((t) => [t.name, { shape: [...t.shape], data: p[t.name] }]));
      const loaded = wv.load(wv.encodeSafetensors(stateDict, {}));
      expect(loaded.kind).toBe(model.kind);
      expect(loaded.config()).toEqual(model.config());
      model.dispose();
      loaded.dispose();
    }
  });
});
