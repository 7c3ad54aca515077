// `wavae eval`, `wavae encode` and `wavae info`: numbers and codes out of a model file.
import path from 'node:path';
import { WavaeError } from '../errors.js';
import { encodeNpy } from '../data/tabular.js';
import { matrix, type Matrix } from '../matrix.js';
import { kindOf } from '../models/registry.js';
import { HOW_TO_GIVE_LABELS, checkLabel, checkLabels, classCondition, labelCondition, modelClasses } from './condition.js';
import { loadData } from './files.js';
import { withOutputFile } from './outputs.js';
import { showImageShape } from './image-shape.js';
import { architectureLine, given, latentCodes, layerSummary, openModel } from './model-file.js';
import { applyScaling } from '../data/scaling.js';

/** The options of the commands that read --data for a model. */
export interface DataArgs {
  labelColumn?: string;
  /** --header: a CSV's first row names the columns (auto, yes, no). */
  header?: 'auto' | 'yes' | 'no';
  labels?: string;
  limit?: number;
  /** A conditional model's class for every row, in place of the data's labels. */
  label?: number;
}

/**
 * Loads --data for a model: MNIST's test split, or the file; scaled like the training data. For
 * a conditional model, its condition rows: the data's labels one-hot, or --label on every row.
 * `opened` is the model file when the caller has opened it already (it is read once).
 */
async function modelData(file: string, source: string, opts: DataArgs, opened = openModel(file)) {
  const conditional = opened.condition !== null;
  const classes = conditional || opts.label !== undefined ? modelClasses(file, opened.condition, `--label ${opts.label}`) : 0;
  if (opts.label !== undefined) checkLabel(opts.label, classes);
  const data = await loadData(source, { labelColumn: opts.labelColumn, header: opts.header, labels: opts.labels, limit: opts.limit, findLabels: conditional && opts.label === undefined, cols: opened.model.inputDim });
  const raw = data.test ? data.test.x : data.x;
  if (raw.cols !== opened.model.inputDim) {
    throw new WavaeError('SHAPE_MISMATCH', `${source} has ${raw.cols} columns, the model takes ${opened.model.inputDim}`);
  }
  const labels = data.test ? data.test.labels : data.labels;
  let condition: Matrix | null = null;
  if (opts.label !== undefined) condition = classCondition(opts.label, raw.rows, classes);
  else if (conditional) {
    if (!labels) {
      throw new WavaeError('INVALID_OPTION', `${file} is a conditional model (${classes} classes) and ${source} has no labels: give them with ${HOW_TO_GIVE_LABELS}; or --label L for class L on every row`);
    }
    checkLabels(labels, data.test ? `${data.labelsFrom} (test)` : data.labelsFrom ?? source, classes, 'model');
    condition = labelCondition(labels, classes);
  }
  return { ...opened, x: applyScaling(opened.scaling, raw), labels, classes, condition };
}

export async function evaluate(args: DataArgs & { model: string; data: string; iw?: number; json?: boolean }): Promise<void> {
  const { model, x, classes, condition } = await modelData(args.model, args.data, args);
  const result: Record<string, number> = { rows: x.rows, ...model.evaluate(x, given(condition)) };
  if (condition) {
    result.classes = classes;
    if (args.label !== undefined) result.label = args.label;
  }
  if (args.iw !== undefined) {
    if (!('logLikelihood' in model)) throw new WavaeError('INVALID_OPTION', '--iw needs a VAE model');
    const ll = model.logLikelihood(x, { samples: args.iw, ...given(condition) });
    result.logLikelihood = ll.reduce((a, b) => a + b, 0) / ll.length;
    result.iwSamples = args.iw;
  }
  const conditionText = !condition ? '' : args.label !== undefined ? ` given class ${args.label}` : ' given the labels';
  if (args.json) process.stdout.write(JSON.stringify(result) + '\n');
  else {
    process.stdout.write(`${args.data}: ${x.rows} rows  loss ${result.loss.toFixed(3)}  reconstruction ${result.reconstruction.toFixed(3)}  KL ${result.kl.toFixed(3)} ` +
      `(nats per sample${condition ? `; the conditional -ELBO${conditionText}` : ''})\n`);
    if (result.logLikelihood !== undefined) process.stdout.write(`log p(x${condition ? ' | c' : ''}) ~ ${result.logLikelihood.toFixed(3)} nats per sample (importance-weighted, ${args.iw} samples)\n`);
  }
  model.dispose();
}

export async function encode(args: DataArgs & { model: string; data: string; out: string; logvar?: boolean }): Promise<void> {
  const ext = path.extname(args.out).toLowerCase();
  if (ext !== '.npy' && ext !== '.csv') throw new WavaeError('INVALID_OPTION', `--out must end in .csv or .npy, got ${JSON.stringify(args.out)}`);
  await withOutputFile(args.out, '--out', async (write) => {
    const { model, x, condition } = await modelData(args.model, args.data, args);
    const L = model.latentDim;
    let codes = latentCodes(model, x, condition);
    const names = Array.from({ length: L }, (_, j) => `${'logLikelihood' in model ? 'mean' : 'z'}_${j}`);
    if (args.logvar) {
      if (!('logLikelihood' in model)) throw new WavaeError('INVALID_OPTION', '--logvar needs a VAE model');
      const { mean, logVar } = model.encode(x, given(condition));
      const both = new Float32Array(x.rows * 2 * L);
      for (let i = 0; i < x.rows; i++) {
        both.set(mean.data.subarray(i * L, (i + 1) * L), i * 2 * L);
        both.set(logVar.data.subarray(i * L, (i + 1) * L), i * 2 * L + L);
      }
      codes = matrix(x.rows, 2 * L, both);
      for (let j = 0; j < L; j++) names.push(`logvar_${j}`);
    }
    if (ext === '.npy') write(encodeNpy(codes));
    else {
      const lines = [names.join(',')];
      for (let i = 0; i < codes.rows; i++) lines.push(Array.from(codes.data.subarray(i * codes.cols, (i + 1) * codes.cols), (v) => String(v)).join(','));
      write(lines.join('\n') + '\n');
    }
    process.stdout.write(`wrote ${codes.rows} x ${codes.cols} codes to ${args.out}\n`);
    model.dispose();
  });
}

export function info(args: { model: string; json?: boolean }): void {
  const { model, metadata, scaling, shape, condition, bytes } = openModel(args.model);
  const summary = {
    file: args.model, bytes, kind: model.kind, config: model.config(), parameters: model.parameterCount,
    epochsTrained: model.epochsTrained, scaling: scaling.type, imageShape: shape,
    condition: condition === null ? null : condition.type === 'labels' ? { type: 'labels', classes: condition.classes } : { type: 'unrecorded', conditionDim: condition.width },
    formatVersion: metadata.format_version ?? null,
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
      ...(condition === null ? [] : [condition.type === 'labels'
        ? `  condition     class labels, one-hot: ${condition.classes} classes (conditionDim ${condition.classes})`
        : `  condition     conditionDim ${condition.width} (the file does not say what the condition is)`]),
      '  layers',
      ...layerSummary(model),
      '  tensors',
      ...model.layout.tensors.map((t) => `    ${t.name.padEnd(18)} [${t.shape.join(', ')}]`),
    ].join('\n') + '\n');
  }
  model.dispose();
}

export { modelData };
