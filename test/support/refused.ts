/**
 * The importer's refusal as a user sees it: graphc's own error (`kind`, OnnxImportError or a subclass),
 * matching `message`, on one line.
 */
import { expect } from 'vitest';
import { importOnnx, OnnxImportError } from '../../export/index.ts';

export function refused(bytes: Uint8Array, message: RegExp, kind: new (...args: never[]) => Error = OnnxImportError): void {
  let err: unknown;
  try {
    importOnnx(bytes);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(kind);
  expect((err as Error).message).toMatch(message);
  expect((err as Error).message).not.toContain('\n');
}
