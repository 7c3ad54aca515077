// A model's encoder or decoder as an ONNX graph (plain data: io/onnx.ts writes the bytes), the
// same computation as encode() / decode(): flat rows in and out (an image model reshapes to
// [N, C, H, W] where its layers do, and back), dense layers as Gemm (transB = 1 on PyTorch's
// [out, in] weight), a conditional model's condition joined by Concat before the layer whose
// weight takes its columns ([out, in + C]), conv2d as Conv and conv2dTranspose as ConvTranspose
// (with output_padding; both take wavae's / PyTorch's weight layouts as they are), flatten and
// reshape as Reshape, activations as Relu, LeakyRelu (alpha 0.01, wavae's slope), Tanh, Sigmoid;
// a Bernoulli (or BCE) decoder ends with Sigmoid, as decode() does. The batch dimension is
// symbolic ('N'). Imported by wavae/node only (see onnx-export.ts).
import type { Act } from '../backend/index.js';
import { WavaeError, describe } from '../errors.js';
import type { OnnxAttribute, OnnxInitializer, OnnxModelDesc, OnnxNode, OnnxValue } from '../io/onnx.js';
import { showShape, size, type ResolvedLayer, type Shape } from '../nn/layer.js';
import type { OnnxOptions, OnnxSource } from './onnx-export.js';

const ACT_OPS: Record<Act, { op: string; attributes?: OnnxAttribute[] } | null> = {
  identity: null,
  relu: { op: 'Relu' },
  leaky_relu: { op: 'LeakyRelu', attributes: [{ name: 'alpha', type: 'float', value: 0.01 }] }, // the slope of wavae's kernels
  sigmoid: { op: 'Sigmoid' },
  tanh: { op: 'Tanh' },
};

/** Builds a graph node by node; every value name is unique. */
class GraphBuilder {
  readonly nodes: OnnxNode[] = [];
  readonly initializers: OnnxInitializer[] = [];
  private readonly used = new Set<string>();

  constructor(private readonly params: Readonly<Record<string, Float32Array>>, private readonly where: string) {}

  /** A fresh value name from a stem ('encoder.0/Gemm'). */
  name(stem: string): string {
    let name = stem;
    for (let i = 1; this.used.has(name); i++) name = `${stem}_${i}`;
    this.used.add(name);
    return name;
  }

  node(opType: string, stem: string, inputs: string[], attributes: OnnxAttribute[] = [], output?: string): string {
    const name = this.name(stem);
    const out = output ?? name;
    if (output) this.used.add(output);
    this.nodes.push({ name, opType, inputs, outputs: [out], attributes });
    return out;
  }

  /** A parameter tensor of the model as an initializer, named as in the model file. */
  param(name: string, dims: number[]): string {
    const values = this.params[name];
    if (!values || values.length !== size(dims)) {
      throw new WavaeError('INVALID_OPTION', `${this.where}: the model has no parameter '${name}' of shape ${showShape(dims)}`);
    }
    this.used.add(name);
    this.initializers.push({ name, dims, floats: values });
    return name;
  }

  /** x seen with the per-row shape `to` ([N, ...to]); nothing when it already has it. */
  reshape(x: string, from: Shape, to: Shape, stem: string): string {
    if (from.length === to.length && from.every((d, i) => d === to[i])) return x;
    const shape = this.name(`${stem}/shape`);
    this.initializers.push({ name: shape, dims: [to.length + 1], int64s: [0, ...to] }); // 0: keep N (allowzero = 0)
    return this.node('Reshape', `${stem}/Reshape`, [x, shape]);
  }

  activation(x: string, act: Act, stem: string, output?: string): string {
    const a = ACT_OPS[act];
    if (!a) return x;
    return this.node(a.op, `${stem}/${a.op}`, [x], a.attributes ?? [], output);
  }
}

/**
 * One layer on x (whose per-row shape is `shape`): its nodes, and the value it gives. cond: the
 * condition input, for the layer that takes it.
 */
function layerNodes(g: GraphBuilder, layer: ResolvedLayer, x: string, shape: Shape, cond: string | null, where: string): string {
  const spec = layer.spec as Record<string, unknown>;
  const stem = layer.name ?? `${where}.${spec.type}`;
  x = g.reshape(x, shape, layer.input, stem);
  switch (spec.type) {
    case 'flatten':
    case 'reshape':
      return g.reshape(x, layer.input, layer.output, stem);
    case 'dense': {
      const name = layer.name as string;
      const nin = layer.input[0] + (layer.condition ?? 0);
      if (layer.condition) {
        if (!cond) throw new WavaeError('INVALID_OPTION', `${where}: ${name} takes a condition and the graph has none`);
        x = g.node('Concat', `${name}/Concat`, [x, cond], [{ name: 'axis', type: 'int', value: 1 }]);
      }
      const y = g.node('Gemm', `${name}/Gemm`, [x, g.param(`${name}.weight`, [layer.output[0], nin]), g.param(`${name}.bias`, [layer.output[0]])],
        [{ name: 'transB', type: 'int', value: 1 }]);
      return g.activation(y, spec.activation as Act, name);
    }
    case 'conv2d':
    case 'conv2dTranspose': {
      const name = layer.name as string;
      const s = spec as { kernelSize: number[]; stride: number[]; padding: number[]; outputPadding?: number[]; filters: number };
      const transposed = spec.type === 'conv2dTranspose';
      const cin = layer.input[0];
      const weight = transposed ? [cin, s.filters, s.kernelSize[0], s.kernelSize[1]] : [s.filters, cin, s.kernelSize[0], s.kernelSize[1]];
      const attributes: OnnxAttribute[] = [
        { name: 'kernel_shape', type: 'ints', value: s.kernelSize },
        { name: 'strides', type: 'ints', value: s.stride },
        { name: 'pads', type: 'ints', value: [s.padding[0], s.padding[1], s.padding[0], s.padding[1]] },
        ...(transposed ? [{ name: 'output_padding', type: 'ints' as const, value: s.outputPadding ?? [0, 0] }] : []),
      ];
      const y = g.node(transposed ? 'ConvTranspose' : 'Conv', `${name}/${transposed ? 'ConvTranspose' : 'Conv'}`,
        [x, g.param(`${name}.weight`, weight), g.param(`${name}.bias`, [s.filters])], attributes);
      return g.activation(y, spec.activation as Act, name);
    }
    default:
      throw new WavaeError('INVALID_OPTION', `${where}: layer ${layer.name ?? ''} of type ${describe(spec.type)} has no ONNX form; toOnnx writes dense, conv2d, conv2dTranspose, flatten and reshape`);
  }
}

/** The layers on x in order; returns the last value and its per-row shape. */
function stackNodes(g: GraphBuilder, layers: readonly ResolvedLayer[], x: string, shape: Shape, cond: string | null, where: string): [string, Shape] {
  for (const layer of layers) {
    x = layerNodes(g, layer, x, shape, cond, where);
    shape = layer.output;
  }
  return [x, shape];
}

/** The graph of a model's encoder or decoder (plain data; see the file's header). */
export function onnxGraph(src: OnnxSource, options: OnnxOptions): OnnxModelDesc {
  const where = `toOnnx (${options.part})`;
  const g = new GraphBuilder(src.params, where);
  const N = 'N';
  const C = src.conditionDim;
  const inputs: OnnxValue[] = [];
  const outputs: OnnxValue[] = [];
  const input = (name: string, cols: number, doc: string): string => {
    inputs.push({ name, dims: [N, cols], doc });
    return g.name(name);
  };
  if (options.part === 'encoder') {
    const x = input('x', src.inputDim, `input rows, flat (${src.inputShape.length > 1 ? `C*H*W of ${showShape(src.inputShape)}, ` : ''}row-major), as model.encode() takes them`);
    const c = C > 0 ? input('c', C, 'condition rows (one-hot class labels, or any condition the model was trained with)') : null;
    const [h, shape] = stackNodes(g, src.encoder, x, [src.inputDim], c, where);
    if (src.heads) {
      const flat = g.reshape(h, shape, src.heads[0].input, 'heads');
      const hc = src.heads[0].condition && c ? g.node('Concat', 'heads/Concat', [flat, c], [{ name: 'axis', type: 'int', value: 1 }]) : flat;
      const L = src.latentDim;
      for (const [head, out] of [[src.heads[0], 'mean'], [src.heads[1], 'logvar']] as const) {
        const name = head.name as string;
        const nin = head.input[0] + (head.condition ?? 0);
        g.node('Gemm', `${name}/Gemm`, [hc, g.param(`${name}.weight`, [L, nin]), g.param(`${name}.bias`, [L])], [{ name: 'transB', type: 'int', value: 1 }], g.name(out));
      }
      outputs.push({ name: 'mean', dims: [N, L], doc: 'posterior means, as encode(x).mean' }, { name: 'logvar', dims: [N, L], doc: 'posterior log-variances, as encode(x).logVar' });
    } else {
      g.node('Identity', 'code/Identity', [g.reshape(h, shape, [src.latentDim], 'code')], [], g.name('code'));
      outputs.push({ name: 'code', dims: [N, src.latentDim], doc: 'codes, as encode(x)' });
    }
  } else {
    const z = input('z', src.latentDim, 'latent codes');
    const c = C > 0 ? input('c', C, 'condition rows (one-hot class labels, or any condition the model was trained with)') : null;
    const [y, shape] = stackNodes(g, src.decoder, z, [src.latentDim], c, where);
    const flat = g.reshape(y, shape, [src.inputDim], 'output');
    const out = g.name('x_mean');
    if (src.sigmoid) g.node('Sigmoid', 'output/Sigmoid', [flat], [], out);
    else g.node('Identity', 'output/Identity', [flat], [], out);
    outputs.push({ name: 'x_mean', dims: [N, src.inputDim], doc: src.sigmoid ? 'decoder means: probabilities (the sigmoid of the logits), as decode(z)' : 'decoder means, as decode(z)' });
  }
  return {
    graphName: `wavae_${src.kind}_${options.part}`,
    doc: `wavae ${src.kind} ${options.part}: the same computation as model.${options.part === 'encoder' ? 'encode(x)' : 'decode(z)'} on flat float32 rows`,
    inputs, outputs, nodes: g.nodes, initializers: g.initializers,
    metadata: { wavae_kind: src.kind, wavae_part: options.part, ...(options.metadata ?? {}) },
  };
}

