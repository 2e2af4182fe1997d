/**
 * Models in graphs/ whose training step graphc does not write as ONNX, with the one-line refusal it gives.
 * None today: the gradients of convolution and pooling export through standard ops (window-onnx.ts in
 * compiler/ops), batch normalization's through BatchNormalization in training mode. The tests that export
 * every model's training step hold a model listed here to its refusal instead, so a model that starts
 * exporting its step must leave this list.
 */
export const trainStepRefused: Readonly<Record<string, RegExp>> = {};
