/** graphc's ONNX support: export (inference, training step) and import. */
import '../compiler/ops/index.ts';

export { exportGraph, onnxOutputName, OPSET, IR_VERSION } from './export.ts';
export type { ExportOptions } from './export.ts';
export { exportModel } from './model.ts';
export type { ExportModelOptions } from './model.ts';
export { importOnnx, decodeModel, OnnxImportError, MAX_ELEMENTS, MAX_NODES, MAX_RANK, MAX_TOTAL_ELEMENTS } from './import.ts';
export type { ImportedModel, ImportOptions } from './import.ts';
export { OnnxSession, MAX_VARIANTS } from './specialize.ts';
export type { SessionFeed, SessionOutput } from './specialize.ts';
export { OnnxSpecializeError } from './import-error.ts';
export { MAX_SPECIALIZED_ELEMENTS } from './import-constant.ts';
export { supportedOps } from './import-ops.ts';
export { attachLoss } from './trainable.ts';
export type { LossKind } from './trainable.ts';
