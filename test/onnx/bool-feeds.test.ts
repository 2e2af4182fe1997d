/**
 * A bool graph input (no default) holds 0s and 1s only: `OnnxSession.run` and `graphc run`'s files
 * (cli/feed.ts) refuse any other value in one line naming the input. onnxruntime-node takes a bool tensor
 * as a Uint8Array and hands its bytes to C++ as `bool`s unchecked, so a byte of 2 has no defined meaning
 * there: over the model below, fed [0, 1, 2, 255], its Cast to float reads 2 as true, its Where as false,
 * and its Not answers 3 (onnxruntime-node 1.30). Expected values of what is taken are worked by hand
 * from the ONNX Where and Not operators' definitions.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { OnnxImportError, OnnxSession } from '../../export/index.ts';
import { DataType } from '../../export/proto.ts';
import { readInputs } from '../../cli/feed.ts';
import { writeNpy } from '../../cli/npy.ts';
import { model } from '../fuzz/build.ts';

/** w = Where(m, a, b), n = Not(m), over [4]; m bool. */
const session = () =>
  new OnnxSession(model({
    opset: 13,
    inputs: [{ name: 'm', dims: [4], elemType: DataType.BOOL }, { name: 'a', dims: [4] }, { name: 'b', dims: [4] }],
    nodes: [{ op: 'Where', inputs: ['m', 'a', 'b'], outputs: ['w'] }, { op: 'Not', inputs: ['m'], outputs: ['n'] }],
    outputs: ['w', 'n'],
  }));
const a = { data: Float32Array.from([1, 2, 3, 4]), shape: [4] };
const b = { data: Float32Array.from([-1, -2, -3, -4]), shape: [4] };
const m = (...v: number[]) => ({ data: Float32Array.from(v), shape: [4] });

describe('a bool graph input holds 0s and 1s', () => {
  it('OnnxSession runs 0s and 1s', () => {
    const out = session().run({ m: m(0, 1, 1, 0), a, b });
    expect([...out.get('w')!.data]).toEqual([-1, 2, 3, -4]);
    expect([...out.get('n')!.data]).toEqual([1, 0, 0, 1]);
  });

  it('OnnxSession refuses any other value, naming the input, the index and the value', () => {
    expect(() => session().run({ m: m(0, 1, 2, 255), a, b })).toThrow(new OnnxImportError("input 'm' (bool): value 2 is 2, not 0 or 1"));
    expect(() => session().run({ m: m(0, -1, 1, 1), a, b })).toThrow("input 'm' (bool): value 1 is -1, not 0 or 1");
    expect(() => session().run({ m: m(0, 1, 0.5, 1), a, b })).toThrow("input 'm' (bool): value 2 is 0.5, not 0 or 1");
    expect(() => session().run({ m: m(NaN, 1, 0, 1), a, b })).toThrow("input 'm' (bool): value 0 is NaN, not 0 or 1");
  });

  it("graphc run's files: a CSV, JSON or integer .npy value other than 0 or 1 is refused naming the file and the input", () => {
    const s = session();
    const node = s.inputs.find((n) => n.attrs.name === 'm')!;
    const dir = mkdtempSync(join(tmpdir(), 'graphc-bool-'));
    const file = (name: string, text: string | Uint8Array) => (writeFileSync(join(dir, name), text), join(dir, name));
    const read = (f: string) => readInputs(new Map([[node, f]]), new Map())[0];
    expect([...read(file('ok.json', '[0, 1, 1, 0]')).data]).toEqual([0, 1, 1, 0]);
    expect([...read(file('ok.npy', writeNpy([4], [0, 1, 1, 0], 'bool'))).data]).toEqual([0, 1, 1, 0]);
    const csv = file('m.csv', '0\n1\n2\n1\n');
    expect(() => read(csv)).toThrow(`${csv}: input 'm' [4] bool: expected 0 or 1, value 2 is 2`);
    expect(() => read(file('m.json', '[0, 1, 1, 7]'))).toThrow(/m\.json: input 'm' \[4\] bool: expected 0 or 1, value 3 is 7$/);
    expect(() => read(file('m.npy', writeNpy([4], [0, 2, 1, 1], 'int')))).toThrow(/m\.npy: input 'm' \[4\] bool: expected 0 or 1, value 1 is 2$/);
  });
});
