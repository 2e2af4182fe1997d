/**
 * Hand-made hostile models: each is a way an importer has been seen to fail (integers too large for a
 * double, attributes of the wrong type, op names that are Object.prototype keys, Reshape targets that do
 * not hold the input, shapes larger than memory, zero-size outputs, external data). `heavy` cases take
 * seconds to minutes of work (large graphs, large tensors) and run only in the long run (`npm run fuzz`).
 */
import { AttrType } from '../../export/proto.ts';
import { chain, model, wide, type NodeSpec } from './build.ts';

export interface Targeted {
  readonly name: string;
  readonly heavy?: boolean;
  readonly bytes: () => Uint8Array;
}

const unaryOn = (op: string, dims: (number | string)[], attrs: NodeSpec['attrs'] = []) =>
  model({ inputs: [{ name: 'x', dims }], nodes: [{ op, inputs: ['x'], attrs }], outputs: ['t0'] });

const reshapeTo = (dims: (number | string)[], target: number[]) =>
  model({ inputs: [{ name: 'x', dims }], inits: [{ name: 's', dims: [target.length], ints: target }], nodes: [{ op: 'Reshape', inputs: ['x', 's'] }], outputs: ['t0'] });

const matmulOf = (a: (number | string)[], b: (number | string)[]) =>
  model({ inputs: [{ name: 'a', dims: a }, { name: 'b', dims: b }], nodes: [{ op: 'MatMul', inputs: ['a', 'b'] }], outputs: ['t0'] });

export const targeted: Targeted[] = [
  { name: 'dim 2^62 in an initializer', bytes: () => model({ inits: [{ name: 'w', dims: [2n ** 62n], floats: [] }], nodes: [{ op: 'Relu', inputs: ['w'] }], outputs: ['t0'] }) },
  { name: 'dim -2^63 in an input', bytes: () => unaryOn('Relu', [-(2 ** 63)]) },
  { name: 'dim 2^62 in an input', bytes: () => model({ inputs: [{ name: 'x', dims: [2n ** 62n] }], nodes: [{ op: 'Relu', inputs: ['x'] }], outputs: ['t0'] }) },
  { name: 'int64 data 2^62', bytes: () => model({ inputs: [{ name: 'x', dims: [2, 2] }], inits: [{ name: 's', dims: [1], ints: [2 ** 62] }], nodes: [{ op: 'Reshape', inputs: ['x', 's'] }], outputs: ['t0'] }) },
  { name: 'attribute i 2^62', bytes: () => unaryOn('Gemm', [2, 2], [{ name: 'transA', i: 2n ** 62n }]) },
  ...['toString', 'constructor', '__proto__', 'hasOwnProperty', 'valueOf'].map((op) => ({ name: `op named ${op}`, bytes: () => unaryOn(op, ['N', 2]) })),
  ...['toString', '__proto__'].map((a) => ({ name: `attribute named ${a}`, bytes: () => unaryOn('Relu', ['N', 2], [{ name: a, i: 1 }]) })),
  { name: 'Gemm alpha given as INTS', bytes: () => model({ inputs: [{ name: 'a', dims: ['N', 2] }], inits: [{ name: 'b', dims: [2, 2], floats: [1, 2, 3, 4] }], nodes: [{ op: 'Gemm', inputs: ['a', 'b'], attrs: [{ name: 'alpha', ints: [2] }] }], outputs: ['t0'] }) },
  { name: 'Gemm transB given as FLOAT', bytes: () => model({ inputs: [{ name: 'a', dims: ['N', 2] }], inits: [{ name: 'b', dims: [2, 2], floats: [1, 2, 3, 4] }], nodes: [{ op: 'Gemm', inputs: ['a', 'b'], attrs: [{ name: 'transB', f: 1 }] }], outputs: ['t0'] }) },
  { name: 'Transpose perm given as INT', bytes: () => unaryOn('Transpose', [2, 3], [{ name: 'perm', i: 1 }]) },
  { name: 'Transpose perm out of range', bytes: () => unaryOn('Transpose', [2, 3], [{ name: 'perm', ints: [0, 5] }]) },
  { name: 'Transpose perm repeated', bytes: () => unaryOn('Transpose', [2, 3], [{ name: 'perm', ints: [0, 0] }]) },
  { name: 'ReduceMean axes out of range', bytes: () => unaryOn('ReduceMean', [2, 3], [{ name: 'axes', ints: [7] }]) },
  { name: 'Unsqueeze axes 2^40', bytes: () => unaryOn('Unsqueeze', [2, 3], [{ name: 'axes', ints: [2 ** 40] }]) },
  { name: 'Cast to 2^40', bytes: () => unaryOn('Cast', [2, 3], [{ name: 'to', i: 2 ** 40 }]) },
  { name: 'Reshape [N, 2] to [40] (N = 3 at run time)', bytes: () => reshapeTo(['N', 2], [40]) },
  { name: 'Reshape [N, 2] to [N*2] spelled [6]', bytes: () => reshapeTo(['N', 2], [6]) },
  { name: 'Reshape with two -1s', bytes: () => reshapeTo([3, 2], [-1, -1]) },
  { name: 'Reshape to [-2, -3]', bytes: () => reshapeTo([3, 2], [-2, -3]) },
  { name: 'Reshape to [-1, -6]', bytes: () => reshapeTo([3, 2], [-1, -6]) },
  { name: 'Reshape 0 past the rank', bytes: () => reshapeTo([6], [0, 0, 0]) },
  { name: 'Reshape to [0, -1]', bytes: () => reshapeTo([0, 4], [0, -1]) },
  { name: 'Reshape to 2^53', bytes: () => reshapeTo([3, 2], [2 ** 53]) },
  { name: 'zero-size output [N, 0]', bytes: () => unaryOn('Relu', ['N', 0]) },
  { name: 'zero-size output [0, 4]', bytes: () => unaryOn('Relu', [0, 4]) },
  { name: 'MatMul with inner dimension 0 (small)', bytes: () => matmulOf([3, 0], [0, 5]) },
  { name: 'rank 9 input', bytes: () => unaryOn('Relu', [1, 1, 1, 1, 1, 1, 1, 1, 1]) },
  { name: 'input of 2^32 elements', bytes: () => unaryOn('Relu', [65536, 65536]) },
  { name: 'inputs declaring 2^30 elements in all', bytes: () => model({ inputs: [0, 1, 2, 3].map((k) => ({ name: `x${k}`, dims: [16384, 16384] })), nodes: [{ op: 'Add', inputs: ['x0', 'x1'] }], outputs: ['t0'] }) },
  { name: 'initializer claiming 2^28 elements with 4 bytes', bytes: () => model({ inits: [{ name: 'w', dims: [16384, 16384], raw: new Uint8Array(4) }], nodes: [{ op: 'Relu', inputs: ['w'] }], outputs: ['t0'] }) },
  { name: 'external data', bytes: () => model({ inits: [{ name: 'w', dims: [2], external: true }], nodes: [{ op: 'Relu', inputs: ['w'] }], outputs: ['t0'] }) },
  { name: 'external int64 data', bytes: () => model({ inputs: [{ name: 'x', dims: [2, 2] }], inits: [{ name: 's', dims: [1], ints: [], external: true }], nodes: [{ op: 'Reshape', inputs: ['x', 's'] }], outputs: ['t0'] }) },
  { name: 'Constant with external data', bytes: () => model({ nodes: [{ op: 'Constant', inputs: [], attrs: [{ name: 'value', t: { dims: [2], external: true } }] }], outputs: ['t0'] }) },
  { name: 'Constant value given as FLOAT', bytes: () => model({ nodes: [{ op: 'Constant', inputs: [], attrs: [{ name: 'value', f: 1 }] }], outputs: ['t0'] }) },
  { name: 'a self-loop', bytes: () => model({ inputs: [{ name: 'x', dims: [2] }], nodes: [{ op: 'Add', inputs: ['x', 't0'] }], outputs: ['t0'] }) },
  { name: 'a node defining a graph input', bytes: () => model({ inputs: [{ name: 'x', dims: [2] }], nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['x'] }], outputs: ['x'] }) },
  { name: 'a node with no outputs', bytes: () => model({ inputs: [{ name: 'x', dims: [2] }], nodes: [{ op: 'Relu', inputs: ['x'], outputs: [] }], outputs: ['x'] }) },
  { name: 'nodes in reverse order', bytes: () => model({ inputs: [{ name: 'x', dims: [2] }], nodes: [{ op: 'Relu', inputs: ['a'], outputs: ['b'] }, { op: 'Neg', inputs: ['x'], outputs: ['a'] }], outputs: ['b'] }) },
  { name: 'attribute of unknown type 99', bytes: () => model({ inputs: [{ name: 'x', dims: [2, 2] }], nodes: [{ op: 'Transpose', inputs: ['x'], attrs: [{ name: 'perm', ints: [1, 0] }] }], outputs: ['t0'] }).map((b, i, a) => (i > 0 && a[i - 1] === 0xa0 && b === AttrType.INTS ? 99 : b)) },
  { name: 'a 16,384-way broadcast', heavy: true, bytes: () => model({ inputs: [{ name: 'a', dims: [16384, 1] }, { name: 'b', dims: [1, 16384] }], nodes: [{ op: 'Add', inputs: ['a', 'b'] }], outputs: ['t0'] }) },
  { name: 'a 20,000 x 20,000 product with inner dimension 0', heavy: true, bytes: () => matmulOf([20000, 0], [0, 20000]) },
  { name: 'a model needing more than 4 GiB', heavy: true, bytes: () => model({ inputs: [{ name: 'x', dims: [16384, 16384] }], nodes: [{ op: 'Relu', inputs: ['x'] }, { op: 'Neg', inputs: ['x'] }, { op: 'Exp', inputs: ['x'] }, { op: 'Tanh', inputs: ['x'] }, { op: 'Add', inputs: ['t0', 't1'] }, { op: 'Add', inputs: ['t2', 't3'] }, { op: 'Add', inputs: ['t4', 't5'] }], outputs: ['t6', 't0', 't1', 't2', 't3'] }) },
  { name: 'a chain of 50,000 Relu', heavy: true, bytes: () => chain(50000, 'Relu') },
  { name: 'a chain of 50,000 Add', heavy: true, bytes: () => chain(50000, 'Add') },
  { name: 'a graph 20,000 nodes wide', heavy: true, bytes: () => wide(20000) },
];
