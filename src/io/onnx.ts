// ONNX model files: a graph described as plain data (OnnxModelDesc: nodes, float32 initializers,
// typed inputs and outputs) encoded as an ONNX ModelProto by protobufjs with the ONNX schema
// (onnx-schema.ts), and decoded back (for checks). Knows no model: models/onnx-export.ts builds
// the graph of a model. Opset 17 with IR version 8, the IR version of ONNX 1.13 that introduced
// opset 17. Node only through wavae/node (node.ts registers encodeOnnx), so that protobufjs stays
// out of the browser bundle.
import protobuf from 'protobufjs/light.js';
import { ONNX_SCHEMA } from './onnx-schema.js';

/** The ONNX operator set the graphs use (the default domain, ai.onnx). */
export const ONNX_OPSET = 17;

/** The IR version that goes with opset 17 (ONNX 1.13). */
export const ONNX_IR_VERSION = 8;

/** TensorProto.DataType values wavae writes. */
export const ONNX_FLOAT = 1;
export const ONNX_INT64 = 7;

/** A node attribute: an integer, a list of integers, or a float. */
export type OnnxAttribute =
  | { readonly name: string; readonly type: 'int'; readonly value: number }
  | { readonly name: string; readonly type: 'ints'; readonly value: readonly number[] }
  | { readonly name: string; readonly type: 'float'; readonly value: number };

/** One operator of the graph: its inputs and outputs are value names. */
export interface OnnxNode {
  readonly name: string;
  readonly opType: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attributes?: readonly OnnxAttribute[];
}

/** A constant of the graph: float32 values (parameters, written as raw little-endian bytes) or int64 (shapes). */
export interface OnnxInitializer {
  readonly name: string;
  readonly dims: readonly number[];
  readonly floats?: Float32Array;
  readonly int64s?: readonly number[];
}

/** A float32 graph input or output; a dimension is a size or a symbolic name ('N'). */
export interface OnnxValue {
  readonly name: string;
  readonly dims: readonly (number | string)[];
  readonly doc?: string;
}

/** A whole single-graph model, as plain data. */
export interface OnnxModelDesc {
  readonly graphName: string;
  readonly doc: string;
  /** ModelProto.producer_version (producer_name is 'wavae'); none when absent. */
  readonly producerVersion?: string;
  readonly inputs: readonly OnnxValue[];
  readonly outputs: readonly OnnxValue[];
  readonly nodes: readonly OnnxNode[];
  readonly initializers: readonly OnnxInitializer[];
  /** ModelProto.metadata_props. */
  readonly metadata: Readonly<Record<string, string>>;
}

let modelProto: protobuf.Type | null = null;

/** The ModelProto message type of the schema (built once). */
export function onnxModelType(): protobuf.Type {
  modelProto ??= protobuf.Root.fromJSON(ONNX_SCHEMA).lookupType('onnx.ModelProto');
  return modelProto;
}

/** float32 values as little-endian bytes (raw_data), whatever the platform's byte order. */
function littleEndian(values: Float32Array): Uint8Array {
  const bytes = new Uint8Array(values.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i], true);
  return bytes;
}

function valueInfo(v: OnnxValue): Record<string, unknown> {
  return {
    name: v.name,
    ...(v.doc ? { doc_string: v.doc } : {}),
    type: { tensor_type: { elem_type: ONNX_FLOAT, shape: { dim: v.dims.map((d) => (typeof d === 'number' ? { dim_value: d } : { dim_param: d })) } } },
  };
}

const ATTRIBUTE_TYPE = { float: 1, int: 2, ints: 7 } as const;

function attribute(a: OnnxAttribute): Record<string, unknown> {
  const value = a.type === 'float' ? { f: a.value } : a.type === 'int' ? { i: a.value } : { ints: [...a.value] };
  return { name: a.name, type: ATTRIBUTE_TYPE[a.type], ...value };
}

function initializer(t: OnnxInitializer): Record<string, unknown> {
  const data = t.floats ? { data_type: ONNX_FLOAT, raw_data: littleEndian(t.floats) } : { data_type: ONNX_INT64, int64_data: [...(t.int64s ?? [])] };
  return { name: t.name, dims: [...t.dims], ...data };
}

/** The ONNX file (ModelProto bytes) of a graph: opset 17, IR version 8. */
export function encodeOnnx(desc: OnnxModelDesc): Uint8Array {
  const type = onnxModelType();
  const message = {
    ir_version: ONNX_IR_VERSION,
    opset_import: [{ domain: '', version: ONNX_OPSET }],
    producer_name: 'wavae',
    ...(desc.producerVersion ? { producer_version: desc.producerVersion } : {}),
    doc_string: desc.doc,
    metadata_props: Object.entries(desc.metadata).map(([key, value]) => ({ key, value })),
    graph: {
      name: desc.graphName,
      node: desc.nodes.map((n) => ({
        name: n.name, op_type: n.opType, input: [...n.inputs], output: [...n.outputs], attribute: (n.attributes ?? []).map(attribute),
      })),
      initializer: desc.initializers.map(initializer),
      input: desc.inputs.map(valueInfo),
      output: desc.outputs.map(valueInfo),
    },
  };
  const err = type.verify(message);
  if (err) throw new Error(`encodeOnnx: the graph does not fit the ONNX schema: ${err}`);
  const bytes = type.encode(type.fromObject(message)).finish(); // a Buffer in Node (a view of a pool): copied into a plain Uint8Array of its own
  return new Uint8Array(bytes);
}

/** An ONNX file decoded as a plain object (field names as in onnx.proto3; int64 as numbers, bytes as Uint8Array). */
export function decodeOnnx(bytes: Uint8Array): Record<string, unknown> {
  const type = onnxModelType();
  return type.toObject(type.decode(bytes), { longs: Number, defaults: false, arrays: true }) as Record<string, unknown>;
}
