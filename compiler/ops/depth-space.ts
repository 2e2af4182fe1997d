/**
 * DepthToSpace and SpaceToDepth (ONNX's, PyTorch's pixel_shuffle and pixel_unshuffle): permutations between
 * channel blocks and spatial blocks of an NCHW tensor. Attributes: block (the block size b) and mode, the
 * order of a depth channel's parts: DCR, channel = (i·b + j)·C' + c; CRD, channel = c·b² + i·b + j, where
 * (i, j) is the position in the b×b spatial block and c the channel of the space side (C' channels). Each is
 * the other's inverse in the same mode, so each one's gradient is the other. ONNX's SpaceToDepth has DCR's
 * order only: CRD's (a CRD DepthToSpace's gradient) exports as Reshape, Transpose, Reshape.
 */
import { defineOp, onnxOperand, onnxRule, UnsupportedError, type OnnxEmit, type OnnxImportCtx } from './op.ts';
import type { Attrs, Node } from '../ir/node.ts';
import { shapeStr, type Dim } from '../ir/shape.ts';
import { GraphError } from '../ir/errors.ts';
import * as B from '../ir/build.ts';

/** For each offset of the depth-side tensor [N, C'·b², H, W], the offset of its element on the space side [N, C', H·b, W·b]. */
function depthToSpaceMap(depth: readonly number[], block: number, mode: string): Int32Array {
  const [N, C, H, W] = depth, b = block, Cs = C / (b * b), map = new Int32Array(N * C * H * W);
  let k = 0;
  for (let n = 0; n < N; n++)
    for (let ch = 0; ch < C; ch++) {
      const [c, i, j] = mode === 'CRD' ? [Math.floor(ch / (b * b)), Math.floor(ch / b) % b, ch % b] : [ch % Cs, Math.floor(ch / (Cs * b)), Math.floor(ch / Cs) % b];
      for (let h = 0; h < H; h++)
        for (let w = 0; w < W; w++) map[k++] = ((n * Cs + c) * H * b + h * b + i) * W * b + w * b + j;
    }
  return map;
}

const blockOf = (a: Attrs) => a.block as number;
const show = (a: Attrs) => `block=${a.block} ${a.mode}`;

function checkRank(x: Node, op: string, src: Node['src']): Dim[] {
  if (x.shape.length !== 4) throw new GraphError(`${op}: expects [N, C, H, W], got ${shapeStr(x.shape)}`, src);
  return [...x.shape];
}
const times = (d: Dim, k: number): Dim => (typeof d === 'number' ? d * k : `${d}*${k}`);

defineOp({
  name: 'DepthToSpace',
  dsl: { internal: 'read from ONNX files by the importer' },
  arity: 1,
  infer([x], a, src) {
    const [n, c, h, w] = checkRank(x, 'DepthToSpace', src), b = blockOf(a);
    if (typeof c !== 'number' || c % (b * b) !== 0) throw new GraphError(`DepthToSpace: ${c} channels are not a multiple of block ${b} squared`, src);
    return { shape: [n, c / (b * b), times(h, b), times(w, b)], dtype: x.dtype };
  },
  kernel(ctx) {
    const map = depthToSpaceMap(ctx.inShapes[0], blockOf(ctx.attrs), ctx.attrs.mode as string);
    return (ins, out) => { const x = ins[0]; for (let k = 0; k < map.length; k++) out[map[k]] = x[k]; };
  },
  grad: (n, g) => [B.mk('SpaceToDepth', [g], n.attrs)],
  onnx: (e, n, ins) => e.op('DepthToSpace', [ins[0]], { blocksize: blockOf(n.attrs), mode: n.attrs.mode as string }),
  onnxImport: {
    DepthToSpace: onnxRule([1, 11, 13], (c) => {
      const mode = c.opset >= 11 ? c.attrString('mode', 'DCR') : 'DCR';
      if (mode !== 'DCR' && mode !== 'CRD') throw new UnsupportedError(`attribute 'mode' '${mode}' is not supported (ONNX defines DCR and CRD)`);
      return B.mk('DepthToSpace', [onnxOperand(c, 0)], { block: blocksize(c), mode });
    }),
  },
  showAttrs: show,
});

defineOp({
  name: 'SpaceToDepth',
  dsl: { internal: 'read from ONNX files by the importer' },
  arity: 1,
  infer([x], a, src) {
    const [n, c, h, w] = checkRank(x, 'SpaceToDepth', src), b = blockOf(a);
    if (typeof c !== 'number' || typeof h !== 'number' || typeof w !== 'number' || h % b !== 0 || w % b !== 0) throw new GraphError(`SpaceToDepth: ${shapeStr(x.shape)} does not divide into ${b}×${b} blocks`, src);
    return { shape: [n, c * b * b, h / b, w / b], dtype: x.dtype };
  },
  kernel(ctx) {
    const map = depthToSpaceMap(ctx.outShape, blockOf(ctx.attrs), ctx.attrs.mode as string);
    return (ins, out) => { const x = ins[0]; for (let k = 0; k < map.length; k++) out[k] = x[map[k]]; };
  },
  grad: (n, g) => [B.mk('DepthToSpace', [g], n.attrs)],
  onnx: (e, n, ins) => (n.attrs.mode === 'CRD' ? spaceToDepthCrd(e, n, ins[0]) : e.op('SpaceToDepth', [ins[0]], { blocksize: blockOf(n.attrs) })),
  onnxImport: { SpaceToDepth: onnxRule([1, 13], (c) => B.mk('SpaceToDepth', [onnxOperand(c, 0)], { block: blocksize(c), mode: 'DCR' })) },
  showAttrs: show,
});

function blocksize(c: OnnxImportCtx): number {
  const b = c.attrInt('blocksize', 0);
  if (!Number.isSafeInteger(b) || b < 1) throw new UnsupportedError(`attribute 'blocksize' ${b} (a positive integer expected)`);
  return b;
}

/** SpaceToDepth in CRD order: [N, C, H'·b, W'·b] as [N, C, H', b, W', b], the b's moved after C, merged. */
function spaceToDepthCrd(e: OnnxEmit, n: Node, x: string): string {
  const [, c, h, w] = n.inputs[0].shape as number[], b = blockOf(n.attrs);
  const split = e.op('Reshape', [x, e.constI64([0, c, h / b, b, w / b, b])]);
  const moved = e.op('Transpose', [split], { perm: [0, 1, 3, 5, 2, 4] });
  return e.op('Reshape', [moved, e.constI64([0, c * b * b, h / b, w / b])]);
}
