/**
 * An imported node's source position is the ONNX file and the node it comes from (`net.onnx node 0 'fc'`),
 * never a line of graphc's own code: in the printed graph (`graphc inspect`), in an error raised while the
 * node is read, and in the `doc_string` of the node written back out.
 */
import { describe, expect, it } from 'vitest';
import { importOnnx, exportGraph, OnnxImportError } from '../../export/index.ts';
import { onnx, DataType } from '../../export/proto.ts';
import { printGraph } from '../../compiler/ir/print.ts';
import { posStr } from '../../compiler/ir/source.ts';

/** x [N, 4] · W [4, k] (MatMul 'fc'), then an unnamed Relu and a Sigmoid named with a control character. */
function model(k = 4): Uint8Array {
  const vi = (name: string, dims: (number | string)[]) => ({ name, type: { tensorType: { elemType: DataType.FLOAT, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } } });
  const m = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 13 }],
    graph: {
      name: 'g',
      input: [vi('x', ['N', 4])],
      initializer: [{ name: 'W', dims: [k, 3], dataType: DataType.FLOAT, floatData: Array.from({ length: k * 3 }, (_, i) => i / 10) }],
      node: [
        { opType: 'MatMul', name: 'fc', input: ['x', 'W'], output: ['h'] },
        { opType: 'Relu', input: ['h'], output: ['r'] },
        { opType: 'Sigmoid', name: 'out\nput', input: ['r'], output: ['y'] },
      ],
      output: [vi('y', ['N', 3])],
    },
  });
  return onnx.ModelProto.encode(m).finish();
}

describe('imported nodes are placed in their ONNX file', () => {
  it('each node names the file and its node: index, and name where it has one', () => {
    const g = importOnnx(model(), { file: 'models/net.onnx' }).graph;
    const at = (op: string) => posStr(g.nodes.find((n) => n.op === op)!.src);
    expect(at('Input')).toBe("models/net.onnx input 'x'");
    expect(at('Param')).toBe("models/net.onnx initializer 'W'");
    expect(at('MatMul')).toBe("models/net.onnx node 0 'fc'");
    expect(at('Relu')).toBe('models/net.onnx node 1');
    // a name from the file is shown on one line, its control characters escaped
    expect(at('Sigmoid')).toBe("models/net.onnx node 2 'out\\x0aput'");
    const text = printGraph(g);
    expect(text).toContain("@ models/net.onnx node 0 'fc'");
    expect(text).not.toMatch(/\.(ts|js):\d+/);
  });

  it('without a file name, the positions say model.onnx', () => {
    const g = importOnnx(model()).graph;
    expect(posStr(g.nodes.find((n) => n.op === 'MatMul')!.src)).toBe("model.onnx node 0 'fc'");
  });

  it('an error in reading a node names the node once, and no line of graphc', () => {
    let err: unknown;
    try {
      importOnnx(model(5), { file: 'net.onnx' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(OnnxImportError);
    const msg = (err as Error).message;
    expect(msg).toMatch(/^node 'fc' \(MatMul, opset 13\): /);
    expect(msg).toMatch(/\[N, 4\]/);
    expect(msg).not.toMatch(/net\.onnx|\.(ts|js):\d+/);
  });

  it('written back out, each node carries its ONNX position as its doc_string', () => {
    const g = importOnnx(model(), { file: 'net.onnx' }).graph;
    const out = onnx.ModelProto.decode(exportGraph(g, { mode: 'inference', name: 'g' }));
    const docs = Object.fromEntries(out.graph!.node!.map((n) => [n.opType, n.docString]));
    expect(docs.MatMul).toBe("net.onnx node 0 'fc'");
    expect(docs.Relu).toBe('net.onnx node 1');
  });
});
