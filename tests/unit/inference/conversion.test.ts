import { describe, expect, it } from 'vitest';
import { GraphBuilder, ints } from '../../../src/inference/conversion/onnx-builder.js';
import { ModelProtoType } from '../../../src/inference/conversion/onnx-proto.js';
import { depthwiseToOihw, hwioToOihw, tfSamePads } from '../../../src/inference/conversion/tf-layout.js';
import { decodeWeights } from '../../../src/inference/conversion/tfjs-weights.js';

describe('tfSamePads', () => {
  it('matches TF "same" padding, extra pixel at the end', () => {
    expect(tfSamePads(512, 3, 2)).toEqual([0, 1]);
    expect(tfSamePads(7, 3, 1)).toEqual([1, 1]);
    expect(tfSamePads(207, 2, 2)).toEqual([0, 1]);
    expect(tfSamePads(13, 2, 1)).toEqual([0, 1]);
    expect(tfSamePads(16, 1, 1)).toEqual([0, 0]);
  });
});

describe('weight layouts', () => {
  it('HWIO → OIHW', () => {
    // kh=1, kw=2, ci=2, co=3: value = 100*x + 10*i + o
    const data = Float32Array.from([0, 1, 2, 10, 11, 12, 100, 101, 102, 110, 111, 112]);
    const { data: out, dims } = hwioToOihw(data, [1, 2, 2, 3]);
    expect(dims).toEqual([3, 2, 1, 2]);
    expect(Array.from(out)).toEqual([0, 100, 10, 110, 1, 101, 11, 111, 2, 102, 12, 112]);
  });
  it('depthwise [kh, kw, C, 1] → [C, 1, kh, kw]', () => {
    const data = Float32Array.from([0, 1, 10, 11]); // kh=1, kw=2, C=2: 10*x + c
    const { data: out, dims } = depthwiseToOihw(data, [1, 2, 2, 1]);
    expect(dims).toEqual([2, 1, 1, 2]);
    expect(Array.from(out)).toEqual([0, 10, 1, 11]);
  });
});

describe('decodeWeights', () => {
  it('dequantises uint8 as q * scale + min and reads float32 and int32 entries', () => {
    const f32 = new Float32Array([1.5, -2]);
    const i32 = new Int32Array([7]);
    const bin = Buffer.concat([Buffer.from([0, 2, 255]), Buffer.from(f32.buffer), Buffer.from(i32.buffer)]);
    const map = decodeWeights([{
      paths: ['x.bin'],
      weights: [
        { name: 'q', shape: [3], dtype: 'float32', quantization: { dtype: 'uint8', scale: 0.5, min: -1 } },
        { name: 'f', shape: [2], dtype: 'float32' },
        { name: 'i', shape: [], dtype: 'int32' },
      ],
    }], [bin]);
    expect(Array.from(map.get('q')!.data)).toEqual([-1, 0, 126.5]);
    expect(Array.from(map.get('f')!.data)).toEqual([1.5, -2]);
    expect(Array.from(map.get('i')!.data)).toEqual([7]);
    expect(() => decodeWeights([{ paths: ['x'], weights: [{ name: 'big', shape: [100], dtype: 'float32' }] }], [bin])).toThrow(/too short/);
  });
});

describe('GraphBuilder', () => {
  it('serialises a valid ModelProto with opset 13, initializers and attributes', () => {
    const b = new GraphBuilder('g');
    const x = b.input('input', ['N', 2]);
    const w = b.constant('w', [2, 2], [1, 2, 3, 4]);
    const y = b.op('MatMul', [x, w], ['N', 2]);
    b.output(b.op('Transpose', [y], [2, 'N'], { perm: ints(1, 0) }), 'out');
    const model = ModelProtoType.toObject(ModelProtoType.decode(b.toBytes({ k: 'v' })), { longs: Number, bytes: Array }) as {
      opsetImport: { version: number }[];
      metadataProps: { key: string; value: string }[];
      graph: { node: { opType: string; attribute?: { name: string; ints: number[] }[] }[]; initializer: { dims: number[]; rawData: number[] }[]; input: { name: string }[]; output: { name: string }[] };
    };
    expect(model.opsetImport[0]!.version).toBe(13);
    expect(model.metadataProps).toEqual([{ key: 'k', value: 'v' }]);
    expect(model.graph.node.map((n) => n.opType)).toEqual(['MatMul', 'Transpose', 'Identity']);
    expect(model.graph.node[1]!.attribute![0]).toMatchObject({ name: 'perm', ints: [1, 0] });
    expect(model.graph.initializer[0]!.dims).toEqual([2, 2]);
    expect(model.graph.initializer[0]!.rawData).toHaveLength(16);
    expect(model.graph.input[0]!.name).toBe('input');
    expect(model.graph.output[0]!.name).toBe('out');
    expect(() => b.constant('bad', [3], [1, 2])).toThrow(/2 values/);
  });
});
