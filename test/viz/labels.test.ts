/**
 * `graphc inspect`'s pictures of a convolutional train step: each op's box shows its op, its key
 * attributes (a convolution's kernel, stride and padding; a pool's window) and its output shape; forward,
 * gradient and update are told apart; leaves are drawn beside each reader; DOT breaks label lines with
 * its own `\n` escape, never a doubled backslash; a row region's body is one note.
 */
import { describe, expect, it } from 'vitest';
import digitsCnn from '../../graphs/digits-cnn.ts';
import diabetes from '../../graphs/diabetes.ts';
import { compileModel } from '../../compiler/passes/compile.ts';
import { vizGraph } from '../../compiler/viz/labels.ts';
import { toDot } from '../../compiler/viz/dot.ts';
import { toSvg } from '../../compiler/viz/svg.ts';
import { toMermaid } from '../../compiler/viz/mermaid.ts';
import { printGraph } from '../../compiler/ir/print.ts';

const step = compileModel(digitsCnn.build(), { lr: 0.01 }).trainStep;
const v = vizGraph(step);
const ops = v.nodes.filter((n) => n.kind === 'op' || n.kind === 'fused');
const byOp = (op: string) => ops.filter((n) => n.label.startsWith(`${op} `) || n.label === op);

describe('pictures of the digits CNN', () => {
  it('every op shows its output shape; convolutions and pools their kernel, stride and padding', () => {
    for (const n of ops) expect(n.sub, n.label).toMatch(/^\[[^\]]*\]( bool)?$/);
    // Conv2d(1, 8, 3, padding=1) on 8×8 and Conv2d(8, 16, 3, padding=1) after a 2×2 pool: the model's layers
    expect(byOp('Conv').map((n) => `${n.label} ${n.sub}`)).toEqual([
      'Conv kernel=[3,3] stride=[1,1] pads=[1,1,1,1] [N, 8, 8, 8]',
      'Conv kernel=[3,3] stride=[1,1] pads=[1,1,1,1] [N, 16, 4, 4]',
    ]);
    expect(byOp('MaxPool').map((n) => `${n.label} ${n.sub}`)).toEqual(['MaxPool kernel=[2,2] stride=[2,2] [N, 8, 4, 4]', 'MaxPool kernel=[2,2] stride=[2,2] [N, 16, 2, 2]']);
    expect(byOp('ConvBackWeight').map((n) => n.sub).sort()).toEqual(['[16, 8, 3, 3]', '[8, 1, 3, 3]']);
    for (const n of [...byOp('ConvBackWeight'), ...byOp('ConvBackInput')]) expect(n.label).toMatch(/kernel=\[3,3\] stride=\[1,1\] pads=\[1,1,1,1\]/);
  });

  it('forward, gradient and update are told apart', () => {
    expect(v.phased).toBe(true);
    expect(new Set(byOp('Conv').map((n) => n.phase))).toEqual(new Set(['forward']));
    expect(new Set([...byOp('ConvBackWeight'), ...byOp('ConvBackInput'), ...byOp('MaxPoolGrad')].map((n) => n.phase))).toEqual(new Set(['gradient']));
    const producers = v.edges.filter(([, b]) => v.nodes.find((n) => n.id === b)!.label.startsWith('next:')).map(([a]) => v.nodes.find((n) => n.id === a)!);
    expect(producers.length).toBe(10);
    expect(new Set(producers.map((n) => n.phase))).toEqual(new Set(['update']));
    expect(v.notes[0]).toMatch(/dashed: gradient/);
  });

  it('each leaf box has one reader: no edge runs from a leaf across the picture', () => {
    const leafIds = new Set(v.nodes.filter((n) => n.kind === 'input' || n.kind === 'param' || n.kind === 'const').map((n) => n.id));
    const out = new Map<string, number>();
    for (const [a] of v.edges) if (leafIds.has(a)) out.set(a, (out.get(a) ?? 0) + 1);
    expect(Math.max(...out.values())).toBe(1);
    // conv1.weight is read by the forward Conv and by its update: two boxes
    expect(v.nodes.filter((n) => n.label === 'conv1.weight').length).toBeGreaterThanOrEqual(2);
  });

  it('DOT labels break lines with \\n, SVG, Mermaid and the text printout carry the same labels', () => {
    const dot = toDot(step);
    expect(dot).not.toContain('\\\\n');
    expect(dot).toContain('label="Conv kernel=[3,3] stride=[1,1] pads=[1,1,1,1]\\n[N, 8, 8, 8]"');
    expect(dot).toMatch(/style="rounded,dashed"/);
    for (const line of dot.split('\n').filter((l) => l.includes('[label='))) expect(line).toMatch(/label="[^"\n]*\\n[^"\n]*"/);
    expect(toSvg(step)).toContain('>Conv kernel=[3,3] stride=[1,1] pads=[1,1,1,1]</text>');
    expect(toMermaid(step)).toContain('"Conv kernel=[3,3] stride=[1,1] pads=[1,1,1,1]<br/>[N, 8, 8, 8]"');
    expect(printGraph(step, { src: false })).toMatch(/= Conv\(x, conv1\.weight, conv1\.bias\) \{kernel=\[3,3\] stride=\[1,1\] pads=\[1,1,1,1\]\} : \[N, 8, 8, 8\]/);
  });

  it("a row region's body is one note, which its nodes name", () => {
    const d = vizGraph(compileModel(diabetes.build(), { lr: 1 }).trainStep);
    const regions = d.nodes.filter((n) => n.label.startsWith('RowRegion'));
    expect(regions.length).toBe(4);
    for (const n of regions) expect(n.label).toMatch(/^RowRegion R0 \[\d\] \S+$/);
    expect(d.notes.filter((t) => t.startsWith('R0 = region: [0] MatMul'))).toHaveLength(1);
    expect(toDot(compileModel(diabetes.build(), { lr: 1 }).trainStep).match(/Fused\{Abs·Neg·Exp\} ·/g)).toHaveLength(1);
  });
});
