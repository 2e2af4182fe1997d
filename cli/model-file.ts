/**
 * What kind of model a file the user names is: a model module (TypeScript or JavaScript, by its name) or
 * an ONNX model (by its name or its first byte), and what to say where the other kind is wanted.
 */
import { closeSync, openSync, readSync } from 'node:fs';

/** A model module's name: TypeScript or JavaScript. */
export const MODULE_FILE = /\.(m?ts|m?js|tsx|jsx)$/;

/** Why `path` (at `abs`) is refused where a model module is wanted: an ONNX model says where it goes. */
export function notModule(path: string, abs: string): string {
  return isOnnxFile(abs)
    ? `${path}: an ONNX model, not a model module (expected .ts, .mts, .js or .mjs): graphc inspect, run and train take ONNX models`
    : `${path}: not a model file (expected .ts, .mts, .js or .mjs)`;
}

/**
 * Whether `file` is to be read as an ONNX model: named .onnx (in any case), or named otherwise but no
 * model module and beginning as an ONNX file does (its first field, ir_version, tag byte 0x08). graphc
 * writes ONNX under any name the user gives, as onnxruntime reads one; a data file, say, is not taken
 * for one.
 */
export function isOnnxFile(file: string): boolean {
  if (/\.onnx$/i.test(file)) return true;
  if (MODULE_FILE.test(file)) return false;
  const first = new Uint8Array(1);
  try {
    const fd = openSync(file, 'r');
    try {
      return readSync(fd, first, 0, 1, 0) === 1 && first[0] === 0x08;
    } finally {
      closeSync(fd);
    }
  } catch {
    return false;
  }
}
