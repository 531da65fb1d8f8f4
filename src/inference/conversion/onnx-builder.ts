// A small builder for ONNX graphs (opset 13): named float initializers, nodes with typed
// attributes, and static shape bookkeeping so converters can compute TF-style "same" padding.
import { AttributeType, DataType, ModelProtoType } from './onnx-proto.js';

export const OPSET = 13;

/** An attribute value: ints are written as INT/INTS, floats as FLOAT/FLOATS. */
export type Attr = { int: number } | { float: number } | { ints: number[] } | { floats: number[] };
export const int = (v: number): Attr => ({ int: v });
export const float = (v: number): Attr => ({ float: v });
export const ints = (...v: number[]): Attr => ({ ints: v });

/** A graph value with its shape (NCHW for images); a string dimension is symbolic (e.g. batch). Float unless `elemType` says otherwise (DataType). */
export type Value = { name: string; shape: (number | string)[]; elemType?: number };

type NodeRecord = { opType: string; input: string[]; output: string[]; name: string; attribute: object[] };
type TensorRecord = { name: string; dims: number[]; dataType: number; rawData: Uint8Array };

function encodeAttr(name: string, attr: Attr): object {
  if ('int' in attr) return { name, type: AttributeType.INT, i: attr.int };
  if ('float' in attr) return { name, type: AttributeType.FLOAT, f: attr.float };
  if ('ints' in attr) return { name, type: AttributeType.INTS, ints: attr.ints };
  return { name, type: AttributeType.FLOATS, floats: attr.floats };
}

function bytesOf(view: Float32Array | BigInt64Array): Uint8Array {
  // ONNX raw_data is little-endian, as are the platforms onnxruntime-node ships for.
  return new Uint8Array(view.buffer.slice(view.byteOffset, view.byteOffset + view.byteLength));
}

export class GraphBuilder {
  private readonly nodes: NodeRecord[] = [];
  private readonly initializers: TensorRecord[] = [];
  private readonly inputs: Value[] = [];
  private readonly outputs: Value[] = [];
  private readonly names = new Set<string>();
  private counter = 0;

  constructor(readonly graphName: string) {}

  /** A fresh value name derived from `hint`. */
  fresh(hint: string): string {
    let name = hint;
    while (this.names.has(name)) name = `${hint}_${++this.counter}`;
    this.names.add(name);
    return name;
  }

  input(name: string, shape: (number | string)[], elemType?: number): Value {
    const v: Value = { name: this.fresh(name), shape, ...(elemType === undefined ? {} : { elemType }) };
    this.inputs.push(v);
    return v;
  }

  output(value: Value, name?: string): void {
    if (name !== undefined && name !== value.name) {
      const renamed = this.op('Identity', [value], value.shape, {}, name);
      this.outputs.push(renamed);
      return;
    }
    this.outputs.push(value);
  }

  /** A float32 initializer. */
  constant(hint: string, dims: number[], data: Float32Array | number[]): Value {
    const values = data instanceof Float32Array ? data : Float32Array.from(data);
    const size = dims.reduce((a, b) => a * b, 1);
    if (values.length !== size) throw new Error(`constant ${hint}: ${values.length} values for dims [${dims.join(',')}]`);
    const name = this.fresh(hint);
    this.initializers.push({ name, dims, dataType: DataType.FLOAT, rawData: bytesOf(values) });
    return { name, shape: dims };
  }

  /** An int64 initializer (shapes, axes). */
  int64(hint: string, values: number[]): Value {
    const name = this.fresh(hint);
    const data = BigInt64Array.from(values.map((v) => BigInt(v)));
    this.initializers.push({ name, dims: [values.length], dataType: DataType.INT64, rawData: bytesOf(data) });
    return { name, shape: [values.length] };
  }

  /** Adds a node with one output whose shape the caller states. */
  op(opType: string, inputs: (Value | string)[], shape: (number | string)[], attrs: Record<string, Attr> = {}, outName?: string, elemType?: number): Value {
    const [out] = this.opMulti(opType, inputs, [shape], attrs, outName === undefined ? undefined : [outName]);
    return elemType === undefined ? out! : { ...out!, elemType };
  }

  /** Adds a node with several outputs. */
  opMulti(opType: string, inputs: (Value | string)[], shapes: (number | string)[][], attrs: Record<string, Attr> = {}, outNames?: string[]): Value[] {
    const outs = shapes.map((shape, i) => ({ name: this.fresh(outNames?.[i] ?? `${opType.toLowerCase()}`), shape }));
    this.nodes.push({
      opType,
      name: this.fresh(`n_${opType}`),
      input: inputs.map((v) => (typeof v === 'string' ? v : v.name)),
      output: outs.map((o) => o.name),
      attribute: Object.entries(attrs).map(([k, v]) => encodeAttr(k, v)),
    });
    return outs;
  }

  /** Serialises the graph as an ONNX ModelProto. */
  toBytes(meta: Record<string, string> = {}): Uint8Array {
    const valueInfo = (v: Value) => ({
      name: v.name,
      type: {
        tensorType: {
          elemType: v.elemType ?? DataType.FLOAT,
          shape: { dim: v.shape.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) },
        },
      },
    });
    const model = {
      irVersion: 7,
      producerName: 'facetrail',
      producerVersion: '1',
      opsetImport: [{ domain: '', version: OPSET }],
      metadataProps: Object.entries(meta).map(([key, value]) => ({ key, value })),
      graph: {
        name: this.graphName,
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs.map(valueInfo),
        output: this.outputs.map(valueInfo),
      },
    };
    const err = ModelProtoType.verify(model);
    if (err) throw new Error(`invalid ONNX model ${this.graphName}: ${err}`);
    return ModelProtoType.encode(ModelProtoType.fromObject(model)).finish();
  }
}
