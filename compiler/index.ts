/**
 * graphc's public API: the typed DSL for writing models, and the compiler entry points.
 * (The runtime is `graphc/runtime`, the ONNX exporter and importer `graphc/onnx`.)
 */
import './ops/index.ts';

export { Tensor } from './dsl/tensor.ts';
export type { AnyTensor } from './dsl/tensor.ts';
export * from './dsl/functions.ts';
export { defineModel, input, param, manualSeed, generator, isModel } from './dsl/model.ts';
export type { Model, ModelSpec, ModelOutputs, BuiltModel, TrainConfig, InlineData } from './dsl/model.ts';
export { zeros, ones, full, uniform, normal, values } from './dsl/init.ts';
export type { Initializer } from './dsl/init.ts';
export { Linear } from './dsl/layers.ts';
export { Conv2d, MaxPool2d, AvgPool2d, Dropout, Flatten, BatchNorm1d, BatchNorm2d, LocalResponseNorm } from './dsl/vision-layers.ts';
export type { ConvOptions, PoolOptions, AvgPoolOptions, BatchNormOptions, InterpolateOptions, LocalResponseNormOptions, GridSampleOptions, Pair } from './dsl/vision.ts';
export type { Dim, Shape } from './ir/shape.ts';
export type { Broadcast, BroadcastCheck, MatMulCheck } from './dsl/shape-types.ts';

export { Node } from './ir/node.ts';
export { Graph } from './ir/graph.ts';
export { printGraph } from './ir/print.ts';
export { verify } from './ir/verify.ts';
export { grad } from './autodiff/grad.ts';
export { trainStepGraph, inferenceGraph, inferenceMode } from './train/step.ts';
export { GraphError } from './ir/errors.ts';
export { useSourceMap } from './ir/source.ts';
export { TorchGenerator } from './init/torch-random.ts';
export { FastRandom } from './init/fast-random.ts';
