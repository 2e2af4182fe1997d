/**
 * The gradient table: a row for every op with a gradient rule (op, input shapes, input domain; in the style
 * of JAX's autodiff tests), and the ops whose gradient is deliberately null with the reason. fd.test.ts checks
 * each row against central finite differences, and fails for an op with a gradient rule and neither.
 */
import '../../compiler/ops/index.ts';
import type { Node } from '../../compiler/ir/node.ts';
import * as B from '../../compiler/ir/build.ts';
import { convAttrs } from '../../compiler/ops/conv.ts';
import { poolAttrs } from '../../compiler/ops/pool.ts';

export interface Row {
  readonly name: string;
  readonly op: string;
  readonly shapes: number[][];
  readonly build: (xs: Node[]) => Node;
  readonly domain?: [number, number];
  /** Per-input domains (overrides `domain`). */
  readonly domains?: [number, number][];
}

const fusedBody = (xs: Node[]) => {
  // a Fused node built by hand: sigmoid(a) * b - a / 3 over broadcast inputs
  const body = JSON.stringify([['Sigmoid', [-1]], ['Mul', [0, -2]], ['Div', [-1, -3]], ['Sub', [1, 2]]]);
  return B.mk('Fused', [xs[0], xs[1], B.scalar(3)], { body, shape: [3, 4], dtype: 'f32' });
};

export const rows: Row[] = [
  { name: 'Add broadcast [3,4]+[4]', op: 'Add', shapes: [[3, 4], [4]], build: ([a, b]) => B.add(a, b) },
  { name: 'Add broadcast [3,1]+[1,4]', op: 'Add', shapes: [[3, 1], [1, 4]], build: ([a, b]) => B.add(a, b) },
  { name: 'Sub broadcast [2,3]-[]', op: 'Sub', shapes: [[2, 3], []], build: ([a, b]) => B.sub(a, b) },
  { name: 'Mul broadcast [3,1]*[1,4]', op: 'Mul', shapes: [[3, 1], [1, 4]], build: ([a, b]) => B.mul(a, b) },
  { name: 'Div broadcast [2,3]/[3]', op: 'Div', shapes: [[2, 3], [3]], build: ([a, b]) => B.div(a, b), domains: [[-2, 2], [0.5, 2]] },
  { name: 'Max', op: 'Max', shapes: [[3, 4], [4]], build: ([a, b]) => B.max(a, b) },
  { name: 'Neg', op: 'Neg', shapes: [[5]], build: ([a]) => B.neg(a) },
  { name: 'Exp', op: 'Exp', shapes: [[2, 3]], build: ([a]) => B.exp(a) },
  { name: 'Log', op: 'Log', shapes: [[2, 3]], build: ([a]) => B.log(a), domain: [0.2, 3] },
  { name: 'Sigmoid', op: 'Sigmoid', shapes: [[2, 3]], build: ([a]) => B.sigmoid(a), domain: [-4, 4] },
  { name: 'Abs', op: 'Abs', shapes: [[6]], build: ([a]) => B.abs(a) },
  { name: 'Relu', op: 'Relu', shapes: [[6]], build: ([a]) => B.relu(a) },
  { name: 'LeakyRelu alpha 0.2', op: 'LeakyRelu', shapes: [[6]], build: ([a]) => B.mk('LeakyRelu', [a], { alpha: 0.2 }) },
  { name: 'Elu alpha 0.7', op: 'Elu', shapes: [[6]], build: ([a]) => B.mk('Elu', [a], { alpha: 0.7 }) },
  { name: 'HardSigmoid alpha 0.4 beta 0.3', op: 'HardSigmoid', shapes: [[6]], build: ([a]) => B.mk('HardSigmoid', [a], { alpha: 0.4, beta: 0.3 }) },
  { name: 'Fused with Elu and HardSigmoid', op: 'Fused', shapes: [[2, 3], [3]], build: ([a, b]) => B.mk('Fused', [a, b], { body: JSON.stringify([['Mul', [-1, -2]], ['Elu', [0], { alpha: 0.5 }], ['HardSigmoid', [1], { alpha: 0.25, beta: 0.4 }]]), shape: [2, 3], dtype: 'f32' }) },
  { name: 'Clip [-0.5, 0.5]', op: 'Clip', shapes: [[6]], build: ([a]) => B.mk('Clip', [a], { min: -0.5, max: 0.5 }) },
  { name: 'Fused with an attribute (LeakyRelu alpha 0.2)', op: 'Fused', shapes: [[2, 3], [3]], build: ([a, b]) => B.mk('Fused', [a, b], { body: JSON.stringify([['Mul', [-1, -2]], ['LeakyRelu', [0], { alpha: 0.2 }]]), shape: [2, 3], dtype: 'f32' }) },
  { name: 'Tanh', op: 'Tanh', shapes: [[2, 3]], build: ([a]) => B.tanh(a) },
  { name: 'Sqrt', op: 'Sqrt', shapes: [[2, 3]], build: ([a]) => B.sqrt(a), domain: [0.3, 3] },
  { name: 'Softplus', op: 'Softplus', shapes: [[2, 3]], build: ([a]) => B.mk('Softplus', [a]), domain: [-5, 5] },
  { name: 'Cast f32 (identity path)', op: 'Cast', shapes: [[3]], build: ([a]) => B.mul(B.cast(B.mk('GreaterEqual', [a, B.scalar(0)]), 'f32'), a) },
  { name: 'Sum all', op: 'Sum', shapes: [[3, 4]], build: ([a]) => B.sum(a) },
  { name: 'Sum axis 0', op: 'Sum', shapes: [[3, 4]], build: ([a]) => B.sum(a, [0]) },
  { name: 'Sum axis 1 keepdims', op: 'Sum', shapes: [[2, 3, 4]], build: ([a]) => B.sum(a, [1], true) },
  { name: 'Mean all', op: 'Mean', shapes: [[3, 4]], build: ([a]) => B.mean(a) },
  { name: 'Mean axes [0,2]', op: 'Mean', shapes: [[2, 3, 4]], build: ([a]) => B.mean(a, [0, 2]) },
  { name: 'MatMul', op: 'MatMul', shapes: [[3, 4], [4, 2]], build: ([a, b]) => B.matmul(a, b) },
  { name: 'MatMul transA', op: 'MatMul', shapes: [[4, 3], [4, 2]], build: ([a, b]) => B.matmul(a, b, true, false) },
  { name: 'MatMul transB', op: 'MatMul', shapes: [[3, 4], [2, 4]], build: ([a, b]) => B.matmul(a, b, false, true) },
  { name: 'MatMul transA transB', op: 'MatMul', shapes: [[4, 3], [2, 4]], build: ([a, b]) => B.matmul(a, b, true, true) },
  { name: 'Linear, bias [N]', op: 'Linear', shapes: [[3, 4], [4, 2], [2]], build: (xs) => B.mk('Linear', xs, { transA: false, transB: false, relu: false }) },
  { name: 'Linear relu transA transB, bias [1,N]', op: 'Linear', shapes: [[4, 3], [5, 4], [1, 5]], build: (xs) => B.mk('Linear', xs, { transA: true, transB: true, relu: true }) },
  { name: 'Linear relu transB', op: 'Linear', shapes: [[3, 4], [2, 4], [2]], build: (xs) => B.mk('Linear', xs, { transA: false, transB: true, relu: true }) },
  { name: 'Transpose 3-D', op: 'Transpose', shapes: [[2, 3, 4]], build: ([a]) => B.transpose(a, [2, 0, 1]) },
  { name: 'Reshape', op: 'Reshape', shapes: [[2, 6]], build: ([a]) => B.reshape(a, [3, 4]) },
  { name: 'Unsqueeze', op: 'Unsqueeze', shapes: [[3]], build: ([a]) => B.unsqueeze(a, [0, 2]) },
  { name: 'ExpandAs', op: 'ExpandAs', shapes: [[3, 1], [3, 4]], build: ([a, b]) => B.mul(B.expandAs(a, b), b) },
  { name: 'BCE', op: 'BCE', shapes: [[4, 1], [4, 1]], build: ([h, y]) => B.mk('BCE', [h, y]), domains: [[0.05, 0.95], [0, 1]] },
  { name: 'BCEWithLogits', op: 'BCEWithLogits', shapes: [[4, 1], [4, 1]], build: ([z, y]) => B.bceWithLogits(z, y), domains: [[-6, 6], [0, 1]] },
  // made by share-exp: e stands for e^(-|z|), an input of its own here
  { name: 'SigmoidExp z >= 0', op: 'SigmoidExp', shapes: [[2, 3], [2, 3]], build: ([z, e]) => B.mk('SigmoidExp', [z, e]), domains: [[0.2, 3], [0.05, 1]] },
  { name: 'SigmoidExp z < 0, e broadcast', op: 'SigmoidExp', shapes: [[2, 3], [3]], build: ([z, e]) => B.mk('SigmoidExp', [z, e]), domains: [[-3, -0.2], [0.05, 1]] },
  { name: 'BCEWithLogitsExp', op: 'BCEWithLogitsExp', shapes: [[4, 1], [4, 1], [4, 1]], build: ([z, y, e]) => B.mk('BCEWithLogitsExp', [z, y, e]), domains: [[-6, 6], [0, 1], [0.05, 1]] },
  { name: 'Fused', op: 'Fused', shapes: [[3, 4], [4]], build: fusedBody },
  { name: 'Softmax axis 1', op: 'Softmax', shapes: [[3, 4]], build: ([a]) => B.mk('Softmax', [a], { axis: 1 }) },
  { name: 'Softmax axis 0 of 3-D', op: 'Softmax', shapes: [[3, 2, 2]], build: ([a]) => B.mk('Softmax', [a], { axis: 0 }) },
  { name: 'LogSoftmax', op: 'LogSoftmax', shapes: [[3, 4]], build: ([a]) => B.mk('LogSoftmax', [a], { axis: -1 }) },
  { name: 'ReduceMax axis 1', op: 'ReduceMax', shapes: [[3, 4]], build: ([a]) => B.mk('ReduceMax', [a], { axes: [1], keepdims: false }) },
  { name: 'NLL', op: 'NLL', shapes: [[4, 3]], build: ([a]) => B.mk('NLL', [B.mk('LogSoftmax', [a], { axis: 1 }), B.constant([0, 2, 1, 2], [4])]) },
  { name: 'CrossEntropy', op: 'CrossEntropy', shapes: [[4, 3]], build: ([a]) => B.mk('CrossEntropy', [a, B.constant([0, 2, 1, 2], [4])]) },
  { name: 'SoftCrossEntropy', op: 'SoftCrossEntropy', shapes: [[4, 3], [4, 3]], build: ([z, t]) => B.mk('SoftCrossEntropy', [z, t]), domains: [[-3, 3], [0, 1]] },
  { name: 'Erf near 0 (series)', op: 'Erf', shapes: [[2, 3]], build: ([a]) => B.mk('Erf', [a]), domain: [-0.45, 0.45] },
  { name: 'Erf tails (erfc fit)', op: 'Erf', shapes: [[2, 3]], build: ([a]) => B.mk('Erf', [a]), domain: [0.6, 2.5] },
  { name: 'Pow broadcast [2,3]^[3]', op: 'Pow', shapes: [[2, 3], [3]], build: ([a, b]) => B.mk('Pow', [a, b]), domains: [[0.5, 2], [-2, 2]] },
  { name: 'Where', op: 'Where', shapes: [[2, 3], [3]], build: ([a, b]) => B.mk('Where', [B.mk('GreaterEqual', [a, B.scalar(0)]), a, b]) },
  { name: 'Slice with steps', op: 'Slice', shapes: [[3, 4]], build: ([a]) => B.mk('Slice', [a], { begin: [1, 3], step: [1, -2], shape: [2, 2] }) },
  { name: 'SliceGrad', op: 'SliceGrad', shapes: [[2, 2], [3, 4]], build: ([g, like]) => B.mk('SliceGrad', [g, like], { begin: [1, 0], step: [1, 2], shape: [2, 2] }) },
  // made by sum-slice-grads: rows 1..2 of every other column, rows 0 and 2 stepped backwards over them (overlapping), and a whole term
  { name: 'SliceGradSum, overlapping and whole', op: 'SliceGradSum', shapes: [[2, 2], [2, 4], [3, 4], [3, 4]], build: ([g1, g2, g3, like]) => B.mk('SliceGradSum', [g1, g2, g3, like], { begin: [1, 0, 2, 0, 0, 0], step: [1, 2, -2, 1, 1, 1] }) },
  { name: 'SliceGradSum, disjoint, a stepped last axis', op: 'SliceGradSum', shapes: [[3, 2], [3, 2], [3, 4]], build: ([g1, g2, like]) => B.mk('SliceGradSum', [g1, g2, like], { begin: [0, 0, 0, 3], step: [1, 2, 1, -2] }) },
  { name: 'Pad constant', op: 'Pad', shapes: [[2, 3]], build: ([a]) => B.mk('Pad', [a], { pads: [1, 0, 0, 2], mode: 'constant', value: 0.5 }) },
  { name: 'Concat axis 1', op: 'Concat', shapes: [[2, 3], [2, 2]], build: ([a, b]) => B.mk('Concat', [a, b], { axis: 1 }) },
  { name: 'Gather axis 0, repeated index', op: 'Gather', shapes: [[3, 4]], build: ([a]) => B.mk('Gather', [a, B.constant([2, 0, 2], [3])], { axis: 0 }) },
  { name: 'GatherGrad axis 1', op: 'GatherGrad', shapes: [[3, 2], [3, 4]], build: ([g, like]) => B.mk('GatherGrad', [g, B.constant([1, -1], [2]), like], { axis: 1 }) },
  // index ops: gathers scatter-add back, scatters pass the gradient to the data off the written places
  { name: 'GatherElements axis 1, negative indices', op: 'GatherElements', shapes: [[3, 4]], build: ([x]) => B.mk('GatherElements', [x, B.constant([1, -1, 0, 3, 2, 2], [3, 2]), ], { axis: 1 }) },
  { name: 'GatherElementsGrad axis 0', op: 'GatherElementsGrad', shapes: [[2, 3], [3, 3]], build: ([g, like]) => B.mk('GatherElementsGrad', [g, B.constant([0, 2, 2, 1, 1, 0], [2, 3]), like], { axis: 0 }) },
  { name: 'TopK values k 2 along axis 1 (TopKIndices: none)', op: 'TopKIndices', shapes: [[2, 4, 2]], build: ([x]) => B.mk('GatherElements', [x, B.mk('TopKIndices', [x], { axis: 1, k: 2, largest: true })], { axis: 1 }) },
  { name: 'ScatterElements none axis 1', op: 'ScatterElements', shapes: [[3, 4], [3, 2]], build: ([x, u]) => B.mk('ScatterElements', [x, B.constant([1, -1, 0, 2, 3, 1], [3, 2]), u], { axis: 1, reduction: 'none' }) },
  { name: 'ScatterElements add axis 0, repeated indices', op: 'ScatterElements', shapes: [[3, 2], [2, 2]], build: ([x, u]) => B.mk('ScatterElements', [x, B.constant([1, 1, 1, 0], [2, 2]), u], { axis: 0, reduction: 'add' }) },
  { name: 'GatherND batch_dims 1', op: 'GatherND', shapes: [[2, 3, 4]], build: ([x]) => B.mk('GatherND', [x, B.constant([2, 0, -1, 1], [2, 2, 1])], { batch_dims: 1 }) },
  { name: 'GatherNDGrad tuples of 2, a repeated one', op: 'GatherNDGrad', shapes: [[3, 4], [2, 3, 4]], build: ([g, like]) => B.mk('GatherNDGrad', [g, B.constant([1, 2, 0, 0, 1, 2], [3, 2]), like], { batch_dims: 0 }) },
  { name: 'ScatterND none, rows', op: 'ScatterND', shapes: [[4, 3], [2, 3]], build: ([x, u]) => B.mk('ScatterND', [x, B.constant([2, -4], [2, 1]), u], { reduction: 'none' }) },
  { name: 'ScatterND add, repeated elements', op: 'ScatterND', shapes: [[2, 3], [3]], build: ([x, u]) => B.mk('ScatterND', [x, B.constant([1, 2, 0, 0, 1, 2], [3, 2]), u], { reduction: 'add' }) },
  { name: 'EyeLike k 1 (no gradient)', op: 'EyeLike', shapes: [[3, 4]], build: ([x]) => B.mul(B.mk('EyeLike', [x], { k: 1 }), x) },
  // Resize: a linear map of its input; the gradient scatters back to the taps (ResizeGrad, its transpose)
  { name: 'Resize linear half_pixel [1,2,3,4] to [1,2,5,7]', op: 'Resize', shapes: [[1, 2, 3, 4]], build: ([x]) => B.mk('Resize', [x], resizeAttrs('linear', 'half_pixel', [1, 1, 5 / 3, 7 / 4], [1, 2, 5, 7])) },
  { name: 'Resize nearest asymmetric round_prefer_ceil downsample', op: 'Resize', shapes: [[2, 5, 4]], build: ([x]) => B.mk('Resize', [x], resizeAttrs('nearest', 'asymmetric', [1, 0.6, 1.5], [2, 3, 6], { nearest: 'round_prefer_ceil' })) },
  { name: 'Resize cubic align_corners, exclude_outside', op: 'Resize', shapes: [[1, 1, 4, 3]], build: ([x]) => B.mk('Resize', [x], resizeAttrs('cubic', 'align_corners', [1, 1, 1.5, 2], [1, 1, 6, 6], { exclude: true })) },
  { name: 'Resize tf_crop_and_resize with extrapolation', op: 'Resize', shapes: [[1, 1, 4, 4]], build: ([x]) => B.mk('Resize', [x], resizeAttrs('linear', 'tf_crop_and_resize', [1, 1, 0.75, 0.75], [1, 1, 3, 3], { roi: [0, 0, 0.4, 0.6, 1, 1, 1.2, 1.7], extrapolation: 10 })) },
  { name: 'ResizeGrad linear pytorch_half_pixel', op: 'ResizeGrad', shapes: [[1, 2, 3, 1], [1, 2, 4, 4]], build: ([g, like]) => B.mk('ResizeGrad', [g, like], resizeAttrs('linear', 'pytorch_half_pixel', [1, 1, 0.75, 0.25], [1, 2, 3, 1])) },
  // permutations between channel and spatial blocks, each the other's gradient; Trilu a mask
  { name: 'DepthToSpace DCR block 2', op: 'DepthToSpace', shapes: [[2, 8, 2, 3]], build: ([x]) => B.mk('DepthToSpace', [x], { block: 2, mode: 'DCR' }) },
  { name: 'DepthToSpace CRD block 2', op: 'DepthToSpace', shapes: [[1, 12, 2, 2]], build: ([x]) => B.mk('DepthToSpace', [x], { block: 2, mode: 'CRD' }) },
  { name: 'SpaceToDepth DCR block 2', op: 'SpaceToDepth', shapes: [[2, 3, 4, 2]], build: ([x]) => B.mk('SpaceToDepth', [x], { block: 2, mode: 'DCR' }) },
  { name: 'SpaceToDepth CRD block 3', op: 'SpaceToDepth', shapes: [[1, 2, 3, 6]], build: ([x]) => B.mk('SpaceToDepth', [x], { block: 3, mode: 'CRD' }) },
  { name: 'Trilu upper k 1 on [2,3,4]', op: 'Trilu', shapes: [[2, 3, 4]], build: ([x]) => B.mk('Trilu', [x], { upper: true, k: 1 }) },
  { name: 'Trilu lower k -1 on [4,3]', op: 'Trilu', shapes: [[4, 3]], build: ([x]) => B.mk('Trilu', [x], { upper: false, k: -1 }) },
  { name: 'Expand [3,1] to [2,3,4]', op: 'Expand', shapes: [[3, 1]], build: ([a]) => B.mk('Expand', [a], { shape: [2, 3, 4] }) },
  // convolutions, pooling, normalization (compiler/ops/conv.ts, pool.ts, norm.ts, dropout.ts, flatten.ts)
  { name: 'Conv pad 1, bias', op: 'Conv', shapes: [[2, 2, 4, 4], [3, 2, 3, 3], [3]], build: ([x, w, b]) => B.mk('Conv', [x, w, b], convAttrs({ pads: [1, 1, 1, 1] })) },
  { name: 'Conv stride, dilation, asymmetric pads, 2 groups', op: 'Conv', shapes: [[1, 4, 5, 5], [4, 2, 2, 2]], build: ([x, w]) => B.mk('Conv', [x, w], convAttrs({ stride: [2, 1], pads: [1, 0, 0, 1], dilation: [1, 2], group: 2 })) },
  { name: 'ConvBackInput', op: 'ConvBackInput', shapes: [[2, 4, 3, 4], [4, 1, 2, 2]], build: ([g, w]) => B.mk('ConvBackInput', [g, w], { ...convAttrs({ stride: [2, 1], pads: [1, 0, 0, 1], dilation: [1, 2], group: 2 }), inShape: [2, 2, 5, 5] }) },
  { name: 'ConvBackWeight', op: 'ConvBackWeight', shapes: [[2, 4, 3, 4], [2, 2, 5, 5]], build: ([g, x]) => B.mk('ConvBackWeight', [g, x], { ...convAttrs({ stride: [2, 1], pads: [1, 0, 0, 1], dilation: [1, 2], group: 2 }), inShape: [4, 1, 2, 2] }) },
  { name: 'Conv 1-D stride 2, pads, 2 groups', op: 'Conv', shapes: [[2, 4, 7], [6, 2, 3], [6]], build: ([x, w, b]) => B.mk('Conv', [x, w, b], { stride: [2], pads: [1, 2], dilation: [1], group: 2 }) },
  { name: 'Conv 3-D dilation, asymmetric pads', op: 'Conv', shapes: [[1, 2, 4, 3, 4], [2, 2, 2, 2, 2]], build: ([x, w]) => B.mk('Conv', [x, w], { stride: [1, 2, 1], pads: [1, 0, 0, 0, 1, 1], dilation: [2, 1, 1], group: 1 }) },
  { name: 'ConvBackInput 1-D (ConvTranspose)', op: 'ConvBackInput', shapes: [[2, 3, 3], [3, 2, 3]], build: ([g, w]) => B.mk('ConvBackInput', [g, w], { stride: [3], pads: [1, 1], dilation: [1], group: 1, inShape: [2, 2, 8] }) },
  { name: 'MaxPool 1-D dilation 2, pads', op: 'MaxPool', shapes: [[2, 2, 9]], build: ([x]) => B.mk('MaxPool', [x], poolAttrs({ kernel: [3], stride: [2], pads: [1, 1], dilation: [2] })) },
  { name: 'AvgPool 3-D stride 2 pad 1, padding excluded', op: 'AvgPool', shapes: [[1, 2, 3, 4, 3]], build: ([x]) => B.mk('AvgPool', [x], poolAttrs({ kernel: [2, 2, 2], stride: [2, 2, 2], pads: [1, 1, 1, 1, 1, 1], countIncludePad: false }, true)) },
  { name: 'MaxPool 2x2', op: 'MaxPool', shapes: [[2, 2, 4, 4]], build: ([x]) => B.mk('MaxPool', [x], poolAttrs({ kernel: [2, 2] })) },
  { name: 'MaxPool 3x3 stride 2 pad 1 ceil', op: 'MaxPool', shapes: [[1, 2, 6, 5]], build: ([x]) => B.mk('MaxPool', [x], poolAttrs({ kernel: [3, 3], stride: [2, 2], pads: [1, 1, 1, 1], ceil: true })) },
  { name: 'AvgPool 3x3 stride 2 pad 1 ceil, padding excluded', op: 'AvgPool', shapes: [[1, 2, 6, 5]], build: ([x]) => B.mk('AvgPool', [x], poolAttrs({ kernel: [3, 3], stride: [2, 2], pads: [1, 1, 1, 1], ceil: true, countIncludePad: false }, true)) },
  { name: 'AvgPoolGrad padding included', op: 'AvgPoolGrad', shapes: [[1, 2, 4, 3], [1, 2, 6, 5]], build: ([g, x]) => B.mk('AvgPoolGrad', [g, x], poolAttrs({ kernel: [3, 3], stride: [2, 2], pads: [1, 1, 1, 1], ceil: true }, true)) },
  { name: 'GlobalAvgPool', op: 'GlobalAvgPool', shapes: [[2, 3, 2, 3]], build: ([x]) => B.mk('GlobalAvgPool', [x]) },
  { name: 'BatchNorm (evaluation) 2-D', op: 'BatchNorm', shapes: [[2, 3, 2, 2], [3], [3], [3], [3]], build: (xs) => B.mk('BatchNorm', xs, { eps: 1e-5 }), domains: [[-2, 2], [-2, 2], [-2, 2], [-2, 2], [0.5, 2]] },
  { name: 'BatchNormTrain 2-D', op: 'BatchNormTrain', shapes: [[3, 2, 2, 2], [2], [2]], build: ([x, s, b]) => B.mk('BatchNormTrain', [x, s, b, B.constant([0, 0], [2]), B.constant([1, 1], [2])], { eps: 1e-5, momentum: 0.1 }) },
  { name: 'BatchNormTrain 1-D', op: 'BatchNormTrain', shapes: [[5, 3], [3], [3]], build: ([x, s, b]) => B.mk('BatchNormTrain', [x, s, b, B.constant([0, 0, 0], [3]), B.constant([1, 1, 1], [3])], { eps: 1e-5, momentum: 0.1 }) },
  { name: 'BatchNormTrain 1-D over [N, C, L]', op: 'BatchNormTrain', shapes: [[3, 2, 4], [2], [2]], build: ([x, s, b]) => B.mk('BatchNormTrain', [x, s, b, B.constant([0, 0], [2]), B.constant([1, 1], [2])], { eps: 1e-5, momentum: 0.1 }) },
  { name: 'BatchNormTrainGrad (x) 2-D', op: 'BatchNormTrainGrad', shapes: [[3, 2, 2, 2], [2], [3, 2, 2, 2]], build: (xs) => B.mk('BatchNormTrainGrad', xs, { eps: 1e-5, out: 'x' }) },
  { name: 'BatchNormTrainGrad (scale) over [N, C, L]', op: 'BatchNormTrainGrad', shapes: [[3, 2, 4], [2], [3, 2, 4]], build: (xs) => B.mk('BatchNormTrainGrad', xs, { eps: 1e-5, out: 'scale' }) },
  // GridSample (GridSampleGrad's kernels): points past the edges, each padding, both align_corners; nearest's grid gradient is zero
  ...[['bilinear', 'zeros', false], ['bilinear', 'zeros', true], ['bilinear', 'border', false], ['bilinear', 'border', true], ['bilinear', 'reflection', false], ['bilinear', 'reflection', true], ['nearest', 'reflection', false], ['bicubic', 'zeros', false], ['bicubic', 'border', true], ['bicubic', 'reflection', false]].map(([mode, padding, align]): Row => (
    { name: `GridSample ${mode} ${padding}${align ? ' align_corners' : ''}`, op: 'GridSample', shapes: [[2, 3, 4, 5], [2, 3, 2, 2]], build: ([x, grid]) => B.mk('GridSample', [x, grid], { mode, padding, align }), domains: [[-2, 2], [-1.3, 1.3]] })),
  // LRN's gradient is its expansion's (compiler/ops/lrn.ts): windows of both leads, odd channel counts, ranks 3 to 5
  { name: 'LRN size 3 (ONNX window) over 5 channels', op: 'LRN', shapes: [[2, 5, 2, 3]], build: ([x]) => B.mk('LRN', [x], { size: 3, alpha: 0.4, beta: 0.75, bias: 1.5, lead: 1 }) },
  { name: 'LRN size 4 (PyTorch window) over 7 channels, rank 3', op: 'LRN', shapes: [[2, 7, 3]], build: ([x]) => B.mk('LRN', [x], { size: 4, alpha: 0.6, beta: 0.6, bias: 1, lead: 2 }) },
  { name: 'LRN size 2 (ONNX window) over 3 channels, rank 5', op: 'LRN', shapes: [[1, 3, 2, 2, 2]], build: ([x]) => B.mk('LRN', [x], { size: 2, alpha: 1, beta: 1.2, bias: 0.5, lead: 0 }) },
  { name: 'BatchNorm (evaluation) over [N, C, L]', op: 'BatchNorm', shapes: [[2, 3, 4], [3], [3], [3], [3]], build: (xs) => B.mk('BatchNorm', xs, { eps: 1e-5 }), domains: [[-2, 2], [-2, 2], [-2, 2], [-2, 2], [0.5, 2]] },
  { name: 'Dropout (a fixed mask)', op: 'Dropout', shapes: [[2, 3]], build: ([x]) => B.mk('Dropout', [x, B.constant([2, 0, 2, 2, 0, 2], [2, 3])], { p: 0.5 }) },
  { name: 'Flatten', op: 'Flatten', shapes: [[2, 3, 2]], build: ([x]) => B.mk('Flatten', [x], { axis: 1 }) },
  { name: 'Prod axis 1 keepdims', op: 'Prod', shapes: [[3, 4]], build: ([a]) => B.mk('Prod', [a], { axes: [1], keepdims: true }), domain: [0.5, 1.5] },
  { name: 'Prod all', op: 'Prod', shapes: [[2, 3]], build: ([a]) => B.mk('Prod', [a], { axes: null, keepdims: false }), domain: [-1.5, -0.5] },
  // rounding and sign: zero gradients (as PyTorch's), against finite differences away from the jumps
  { name: 'Floor', op: 'Floor', shapes: [[2, 3]], build: ([a]) => B.mk('Floor', [a]) },
  { name: 'Ceil', op: 'Ceil', shapes: [[2, 3]], build: ([a]) => B.mk('Ceil', [a]) },
  { name: 'Round', op: 'Round', shapes: [[2, 3]], build: ([a]) => B.mk('Round', [a]) },
  { name: 'Sign', op: 'Sign', shapes: [[2, 3]], build: ([a]) => B.mk('Sign', [a]) },
  { name: 'Sin', op: 'Sin', shapes: [[2, 3]], build: ([a]) => B.mk('Sin', [a]), domain: [-4, 4] },
  { name: 'Cos', op: 'Cos', shapes: [[2, 3]], build: ([a]) => B.mk('Cos', [a]), domain: [-4, 4] },
  { name: 'Tan', op: 'Tan', shapes: [[2, 3]], build: ([a]) => B.mk('Tan', [a]), domain: [-1.2, 1.2] },
  { name: 'Asin', op: 'Asin', shapes: [[2, 3]], build: ([a]) => B.mk('Asin', [a]), domain: [-0.9, 0.9] },
  { name: 'Acos', op: 'Acos', shapes: [[2, 3]], build: ([a]) => B.mk('Acos', [a]), domain: [-0.9, 0.9] },
  { name: 'Atan', op: 'Atan', shapes: [[2, 3]], build: ([a]) => B.mk('Atan', [a]), domain: [-3, 3] },
  { name: 'Sinh', op: 'Sinh', shapes: [[2, 3]], build: ([a]) => B.mk('Sinh', [a]) },
  { name: 'Cosh', op: 'Cosh', shapes: [[2, 3]], build: ([a]) => B.mk('Cosh', [a]) },
  { name: 'Asinh', op: 'Asinh', shapes: [[2, 3]], build: ([a]) => B.mk('Asinh', [a]), domain: [-3, 3] },
  { name: 'Acosh', op: 'Acosh', shapes: [[2, 3]], build: ([a]) => B.mk('Acosh', [a]), domain: [1.2, 3] },
  { name: 'Atanh', op: 'Atanh', shapes: [[2, 3]], build: ([a]) => B.mk('Atanh', [a]), domain: [-0.9, 0.9] },
  { name: 'Fused with Shrink, ThresholdedRelu, Mod and Sin', op: 'Fused', shapes: [[2, 3], [3]], build: ([a, b]) => B.mk('Fused', [a, b], { body: JSON.stringify([['Shrink', [-1], { lambd: 0.3, bias: 0.1 }], ['ThresholdedRelu', [-2], { alpha: -0.5 }], ['Mod', [0, 1], { fmod: 1 }], ['Sin', [2]]]), shape: [2, 3], dtype: 'f32' }), domains: [[-2, 2], [0.5, 2]] },
  { name: 'Hardmax axis 1 (a zero gradient)', op: 'Hardmax', shapes: [[2, 3, 2]], build: ([a]) => B.mul(B.mk('Hardmax', [a], { axis: 1 }), a) },
  { name: 'ThresholdedRelu alpha 0.3', op: 'ThresholdedRelu', shapes: [[8]], build: ([a]) => B.mk('ThresholdedRelu', [a], { alpha: 0.3 }) },
  { name: 'Shrink lambd 0.4 bias 0.2', op: 'Shrink', shapes: [[8]], build: ([a]) => B.mk('Shrink', [a], { lambd: 0.4, bias: 0.2 }) },
  { name: 'Mod fmod 1 broadcast [2,3]%[3]', op: 'Mod', shapes: [[2, 3], [3]], build: ([a, b]) => B.mk('Mod', [a, b], { fmod: 1 }), domains: [[-4, 4], [0.5, 1.5]] },
  { name: 'Mod fmod 0 (floored) broadcast [2,3]%[3]', op: 'Mod', shapes: [[2, 3], [3]], build: ([a, b]) => B.mk('Mod', [a, b], { fmod: 0 }), domains: [[-4, 4], [-1.5, -0.5]] },
  { name: 'BatchMatMul broadcast [2,1,3,4]·[3,4,2]', op: 'BatchMatMul', shapes: [[2, 1, 3, 4], [3, 4, 2]], build: ([a, b]) => B.mk('BatchMatMul', [a, b]) },
  { name: 'BatchMatMul transA broadcast [2,1,4,3]ᵀ·[3,4,2]', op: 'BatchMatMul', shapes: [[2, 1, 4, 3], [3, 4, 2]], build: ([a, b]) => B.batchMatmul(a, b, true, false) },
  { name: 'BatchMatMul transB [3,4]·[2,3,5,4]ᵀ', op: 'BatchMatMul', shapes: [[3, 4], [2, 3, 5, 4]], build: ([a, b]) => B.batchMatmul(a, b, false, true) },
  { name: 'BatchMatMul transA transB [2,4,3]ᵀ·[2,1,5,4]ᵀ', op: 'BatchMatMul', shapes: [[2, 4, 3], [2, 1, 5, 4]], build: ([a, b]) => B.batchMatmul(a, b, true, true) },
];

/** A Resize node's attributes (compiler/ops/resize.ts), as the importer makes them. */
function resizeAttrs(mode: string, coord: string, scales: number[], shape: number[], more: Record<string, number | boolean | string | number[]> = {}) {
  return { mode, coord, nearest: 'round_prefer_floor', cubicA: -0.75, exclude: false, scales, shape, sizes: true, ...more };
}

/** Ops whose gradient is deliberately null (no derivative), with a reason. */
export const noGradient: Record<string, string> = {
  GreaterEqual: 'a step function',
  Equal: 'a step function',
  SizeOf: 'an integer count',
  ArgMax: 'an index',
  MaxPoolIndex: 'an index',
  IntType: 'an integer of a small type (uint8...): a cast or a wrap',
  OneHot: 'built from indices',
  DropoutMask: 'a random draw',
  MaxPoolGrad: 'refused: second derivatives of max pooling are not supported',
  BatchNormRunning: 'refused: running statistics are state, not differentiated',
  RowRegion: 'formed after differentiation (its rule refuses)',
  GridSampleGrad: 'refused: second derivatives of GridSample are not supported',
  Not: 'a logical op on masks',
  And: 'a logical op on masks',
  Or: 'a logical op on masks',
  Xor: 'a logical op on masks',
};
