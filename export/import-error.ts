/** The error an ONNX file graphc cannot read raises (kept apart from the importer: it loads nothing). */
export class OnnxImportError extends Error {
  override name = 'OnnxImportError';
}
