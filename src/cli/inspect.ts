// `wavae eval`, `wavae encode` and `wavae info`: numbers and codes out of a model file.
import path from 'node:path';
import { WavaeError } from '../errors.js';
import { encodeNpy } from '../data/tabular.js';
import { matrix } from '../matrix.js';
import { kindOf } from '../models/registry.js';
import { loadData, writeFileAtomic } from './files.js';
import { showImageShape } from './image-shape.js';
import { architectureLine, latentCodes, layerSummary, openModel } from './model-file.js';
import { applyScaling } from './scaling.js';

/** Loads --data for a model: MNIST's test split, or the file; scaled like the training data. */
async function modelData(file: string, source: string, opts: { labelColumn?: string; limit?: number }) {
  const opened = openModel(file);
  const data = await loadData(source, { labelColumn: opts.labelColumn, limit: opts.limit });
  const raw = data.test ? data.test.x : data.x;
  if (raw.cols !== opened.model.inputDim) {
    throw new WavaeError('SHAPE_MISMATCH', `${source} has ${raw.cols} columns, the model takes ${opened.model.inputDim}`);
  }
  return { ...opened, x: applyScaling(opened.scaling, raw), labels: data.test ? data.test.labels : data.labels };
}

export async function evaluate(args: { model: string; data: string; labelColumn?: string; limit?: number; iw?: number; json?: boolean }): Promise<void> {
  const { model, x } = await modelData(args.model, args.data, args);
  const result: Record<string, number> = { rows: x.rows, ...model.evaluate(x) };
  if (args.iw !== undefined) {
    if (!('logLikelihood' in model)) throw new WavaeError('INVALID_OPTION', '--iw needs a VAE model');
    const ll = model.logLikelihood(x, { samples: args.iw });
    result.logLikelihood = ll.reduce((a, b) => a + b, 0) / ll.length;
    result.iwSamples = args.iw;
  }
  if (args.json) process.stdout.write(JSON.stringify(result) + '\n');
  else {
    process.stdout.write(`${args.data}: ${x.rows} rows  loss ${result.loss.toFixed(3)}  reconstruction ${result.reconstruction.toFixed(3)}  KL ${result.kl.toFixed(3)} (nats per sample)\n`);
    if (result.logLikelihood !== undefined) process.stdout.write(`log p(x) ~ ${result.logLikelihood.toFixed(3)} nats per sample (importance-weighted, ${args.iw} samples)\n`);
  }
  model.dispose();
}

export async function encode(args: { model: string; data: string; out: string; labelColumn?: string; limit?: number; logvar?: boolean }): Promise<void> {
  const { model, x } = await modelData(args.model, args.data, args);
  const L = model.latentDim;
  let codes = latentCodes(model, x);
  const names = Array.from({ length: L }, (_, j) => `${'logLikelihood' in model ? 'mean' : 'z'}_${j}`);
  if (args.logvar) {
    if (!('logLikelihood' in model)) throw new WavaeError('INVALID_OPTION', '--logvar needs a VAE model');
    const { mean, logVar } = model.encode(x);
    const both = new Float32Array(x.rows * 2 * L);
    for (let i = 0; i < x.rows; i++) {
      both.set(mean.data.subarray(i * L, (i + 1) * L), i * 2 * L);
      both.set(logVar.data.subarray(i * L, (i + 1) * L), i * 2 * L + L);
    }
    codes = matrix(x.rows, 2 * L, both);
    for (let j = 0; j < L; j++) names.push(`logvar_${j}`);
  }
  const ext = path.extname(args.out).toLowerCase();
  if (ext === '.npy') await writeFileAtomic(args.out, encodeNpy(codes));
  else if (ext === '.csv') {
    const lines = [names.join(',')];
    for (let i = 0; i < codes.rows; i++) lines.push(Array.from(codes.data.subarray(i * codes.cols, (i + 1) * codes.cols), (v) => String(v)).join(','));
    await writeFileAtomic(args.out, lines.join('\n') + '\n');
  } else {
    throw new WavaeError('INVALID_OPTION', `--out must end in .csv or .npy, got ${JSON.stringify(args.out)}`);
  }
  process.stdout.write(`wrote ${codes.rows} x ${codes.cols} codes to ${args.out}\n`);
  model.dispose();
}

export function info(args: { model: string; json?: boolean }): void {
  const { model, metadata, scaling, shape, bytes } = openModel(args.model);
  const summary = {
    file: args.model, bytes, kind: model.kind, config: model.config(), parameters: model.parameterCount,
    epochsTrained: model.epochsTrained, scaling: scaling.type, imageShape: shape, formatVersion: metadata.format_version ?? null,
    tensors: model.layout.tensors.map((t) => ({ name: t.name, shape: t.shape })),
  };
  if (args.json) process.stdout.write(JSON.stringify(summary) + '\n');
  else {
    const c = model.config() as Record<string, unknown>;
    process.stdout.write([
      `${args.model}: ${kindOf(model).label}, ${bytes} bytes, format version ${summary.formatVersion ?? '(PyTorch state_dict)'}`,
      `  architecture  ${architectureLine(model)}, ${c.activation}` +
        ('likelihood' in model ? `, ${c.likelihood} likelihood, beta ${c.beta}` : `, ${c.loss} loss`),
      `  parameters    ${model.parameterCount.toLocaleString('en-US')}`,
      `  trained       ${model.epochsTrained} epochs, seed ${c.seed}, weight decay ${c.weightDecay}`,
      `  input         scaling ${scaling.type}${shape ? `, images ${showImageShape(shape)}` : ''}${metadata.data_source ? `, data ${metadata.data_source}` : ''}`,
      '  layers',
      ...layerSummary(model),
      '  tensors',
      ...model.layout.tensors.map((t) => `    ${t.name.padEnd(18)} [${t.shape.join(', ')}]`),
    ].join('\n') + '\n');
  }
  model.dispose();
}

export { modelData };
