/**
 * Models in graphs/ whose training step graphc does not write as ONNX, with the one-line refusal it gives:
 * the gradients of convolution, pooling and batch normalization are graphc's own ops (ConvBackInput,
 * ConvBackWeight, MaxPoolGrad, AvgPoolGrad, BatchNormTrain), with no standard ONNX form. Their inference
 * graphs export like every other model's. The tests that export every model's training step hold these
 * to their refusal instead, so a model that starts exporting its step must leave this list.
 */
export const trainStepRefused: Readonly<Record<string, RegExp>> = {
  'digits-cnn.ts': /ONNX export: op (MaxPoolGrad|AvgPoolGrad|ConvBack\w+|BatchNormTrain) has no ONNX mapping/,
};
