// `wavae export`: a model file as other runtimes' files. --format onnx writes encoder.onnx and
// decoder.onnx (model.toOnnx(), opset 17) into --out, as a set: the folder and both names are
// checked before the export, and both files are written or neither.
import { WavaeError } from '../errors.js';
import { openModel } from './model-file.js';
import { OutputSet } from './outputs.js';

/** The formats --format takes. */
export const EXPORT_FORMATS = ['onnx'] as const;

/** The files --format onnx writes. */
export const ONNX_FILES = ['encoder.onnx', 'decoder.onnx'] as const;

export interface ExportArgs {
  model: string;
  format: string;
  out: string;
}

/** A graph's inputs or outputs for the summary line: x [N, 784], c [N, 10]. */
const values = (entries: [string, number][]): string => entries.map(([name, cols]) => `${name} [N, ${cols}]`).join(', ');

export async function exportModel(args: ExportArgs): Promise<void> {
  if (!(EXPORT_FORMATS as readonly string[]).includes(args.format)) {
    throw new WavaeError('INVALID_OPTION', `--format must be one of ${EXPORT_FORMATS.join(', ')}, got ${JSON.stringify(args.format)}`);
  }
  const { model, metadata } = openModel(args.model);
  if (metadata.format !== 'wavae') {
    model.dispose();
    // load() infers the layers of a bare state_dict from its tensors, but not its activation or likelihood: a graph would hold guesses
    throw new WavaeError('INVALID_OPTION', `${args.model} has no wavae metadata (a bare state_dict): its activation and likelihood are not in the file, ` +
      "so an export would guess them; load it with wv.load(bytes, { config: { activation, likelihood } }), save it with model.save(), and export that file");
  }
  const outputs = await OutputSet.prepare(args.out, '--out');
  try {
    outputs.expect([...ONNX_FILES]);
    // the CLI's metadata (input scaling, image shape, condition) travels with the graphs: their inputs are the model's, after scaling
    const carried = Object.fromEntries(Object.entries(metadata).filter(([key]) => ['scaling', 'image_shape', 'condition', 'classes'].includes(key)).map(([k, v]) => [`wavae_${k}`, v]));
    const files = ONNX_FILES.map((name, i) => [name, model.toOnnx({ part: i === 0 ? 'encoder' : 'decoder', metadata: carried })] as [string, Uint8Array]);
    const [encoderFile, decoderFile] = outputs.write(files);
    const c: [string, number][] = model.conditionDim > 0 ? [['c', model.conditionDim]] : [];
    const codes: [string, number][] = model.kind === 'vae' ? [['mean', model.latentDim], ['logvar', model.latentDim]] : [['code', model.latentDim]];
    process.stdout.write(`wrote ${encoderFile} (${values([['x', model.inputDim], ...c])} -> ${values(codes)}) and ` +
      `${decoderFile} (${values([['z', model.latentDim], ...c])} -> ${values([['x_mean', model.inputDim]])}): ONNX opset 17, float32\n`);
    const scaling = metadata.scaling ? (JSON.parse(metadata.scaling) as { type?: string }).type : undefined;
    if (scaling && scaling !== 'none') process.stdout.write(`x and x_mean are the model's scaled rows: scale inputs as the model file's "scaling" says (${scaling}; kept in the files' metadata as wavae_scaling)\n`);
  } catch (err) {
    outputs.abandon();
    throw err;
  } finally {
    model.dispose();
  }
}
