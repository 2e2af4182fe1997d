/** graphc's ONNX support: export (inference, training step) and import. */
import '../compiler/ops/index.ts';

export { exportGraph, onnxOutputName, OPSET, IR_VERSION } from './export.ts';
export type { ExportOptions } from './export.ts';
export { exportModel } from './model.ts';
