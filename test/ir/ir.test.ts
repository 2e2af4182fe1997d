/** The IR's invariants: interning, immutability, build-time shape errors, symbolic dims, the verifier, the printer. */
import { describe, expect, it } from 'vitest';
import { input, param, zeros, sigmoid, Graph, GraphError, printGraph, verify, Node } from '../../compiler/index.ts';
import { runPasses, type Pass } from '../../compiler/passes/index.ts';
import { Plan } from '../../runtime/plan.ts';
import toy from '../../graphs/toy.ts';
import { trainStepGraph } from '../../compiler/train/step.ts';

describe('IR nodes', () => {
  it('are interned: the same expression is the same node', () => {
    const x = input('x', ['N', 2]);
    const W = param('W', [2, 1], zeros());
    expect(x.matmul(W).node).toBe(x.matmul(W).node);
    expect(sigmoid(x).node).toBe(input('x', ['N', 2]).sigmoid().node);
    expect(x.add(1).node).not.toBe(x.add(2).node);
  });
  it('are immutable', () => {
    const n = input('x', ['N', 2]).neg().node;
    expect(Object.isFrozen(n)).toBe(true);
    expect(Object.isFrozen(n.inputs)).toBe(true);
    expect(() => ((n as { op: string }).op = 'Exp')).toThrow(TypeError);
  });
});

describe('shape errors at build time name the op, both shapes and the source line', () => {
  const x = input('x', ['N', 2]);
  it('matmul', () => {
    const W3 = param('W3', [3, 1], zeros());
    expect(() => (x as any).matmul(W3)).toThrow(GraphError);
    expect(() => (x as any).matmul(W3)).toThrow(/ir\.test\.ts:\d+: MatMul: inner dimensions differ: \[N, 2\] · \[3, 1\]/);
  });
  it('broadcasting add', () => {
    const v = param('v', [3], zeros());
    expect(() => (x as any).add(v)).toThrow(/ir\.test\.ts:\d+: Add: shapes \[N, 2\] and \[3\] do not broadcast/);
  });
  it('a symbolic dim meets only itself or 1', () => {
    const P = param('P', [5, 2], zeros());
    expect(() => (x as any).add(P)).toThrow(/Add: shapes \[N, 2\] and \[5, 2\] do not broadcast/);
    expect(x.add(param('row', [1, 2], zeros())).shape).toEqual(['N', 2]);
  });
});

describe('symbolic dims stay symbolic until run time', () => {
  it('one graph runs for different batch sizes', () => {
    const x = input('x', ['N', 2]);
    const y = x.mul(2).sum(1);
    expect(y.shape).toEqual(['N']);
    const g = new Graph([{ name: 'y', node: y.node }]);
    for (const n of [1, 6, 759]) {
      const plan = new Plan(g, new Map([['x', [n, 2]]]));
      plan.run(new Map([['x', new Float32Array(n * 2).fill(1)]]));
      expect(Array.from(plan.value(y.node).data)).toEqual(new Array(n).fill(4));
    }
  });
  it('inconsistent bindings are refused', () => {
    const a = input('a', ['N', 1]);
    const b = input('b', ['N', 1]);
    const g = new Graph([{ name: 'y', node: a.add(b).node }]);
    expect(() => new Plan(g, new Map([['a', [3, 1]], ['b', [4, 1]]]))).toThrow(/dim 'N' is 3 elsewhere but 4 here/);
  });
});

describe('verifier and printer', () => {
  it('the train-step graph verifies', () => {
    expect(() => verify(trainStepGraph(toy.build(), { lr: 1 }))).not.toThrow();
  });
  it('a graph knows the place of each of its nodes, and of no other node', () => {
    const g = trainStepGraph(toy.build(), { lr: 1 });
    expect(g.nodes.every((n, i) => g.indexOf(n) === i)).toBe(true);
    for (const n of g.nodes) for (const i of n.inputs) expect(g.indexOf(i)!).toBeLessThan(g.indexOf(n)!);
    expect(g.indexOf(input('elsewhere', [1]).node)).toBeUndefined();
  });
  it('two leaves with one name are refused', () => {
    const g = new Graph([{ name: 'y', node: input('dup', [2]).add(input('dup', [1, 2])).node }]);
    expect(() => verify(g)).toThrow(/two leaves are named 'dup'/);
  });
  it('a pass that changes the graph\'s interface is named: outputs swapped, reshaped, or a leaf added', () => {
    const x = input('x', ['N', 2]);
    const g = new Graph([{ name: 'y', node: sigmoid(x).node }, { name: 's', node: x.sum().node }]);
    const broken = (name: string, make: (g: Graph) => Graph): Pass => ({ name, description: 'a broken pass', run: (h) => ({ graph: make(h), rewrites: [] }) });
    const swap = broken('swap', (h) => h.withOutputs([h.outputs[1], h.outputs[0]]));
    expect(() => runPasses(g, [swap])).toThrow(/^verifier \(after swap\): output 0 'y' became 's'$/);
    const summed = broken('summed', (h) => h.withOutputs([{ name: 'y', node: sigmoid(x).sum().node }, h.outputs[1]]));
    expect(() => runPasses(g, [summed])).toThrow(/^verifier \(after summed\): output 'y' changed shape: \[N, 2\] became \[\]$/);
    const extra = broken('extra', (h) => h.withOutputs([{ name: 'y', node: sigmoid(x.add(param('w', [2], zeros()))).node }, h.outputs[1]]));
    expect(() => runPasses(g, [extra])).toThrow(/^verifier \(after extra\): parameter 'w' \[2\] is new$/);
    // a pass that computes the same outputs another way keeps the interface
    const other = broken('other', (h) => h.withOutputs([{ name: 'y', node: sigmoid(x.neg().neg()).node }, h.outputs[1]]));
    expect(runPasses(g, [other]).outputs[0].node).not.toBe(g.outputs[0].node);
  });
  it('printing is deterministic: the same model built twice prints the same text', () => {
    const a = printGraph(trainStepGraph(toy.build(), { lr: 1 }));
    const b = printGraph(trainStepGraph(toy.build(), { lr: 1 }));
    expect(a).toBe(b);
    expect(a).toMatch(/^graph toy\.train \{/);
    expect(a).toMatch(/MatMul\(x, W\) : \[N, 1\]\s+@ graphs\/toy\.ts:\d+/);
  });
  it('nodes made through Node.mk carry their inferred shape', () => {
    const n = Node.mk('MatMul', [input('x', ['N', 2]).node, param('W', [2, 1], zeros()).node]);
    expect(n.shape).toEqual(['N', 1]);
  });
});
