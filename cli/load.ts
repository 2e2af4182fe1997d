/** Loading what the user names on the command line: model modules and data files (Node edge). */
import { readFileSync } from 'node:fs';
import { checkReadable } from './readable.ts';
import { SourceMap, type SourceMapPayload } from 'node:module';
import { dirname, resolve } from 'node:path';
import { pathToFileURL, fileURLToPath } from 'node:url';
import { displayFile, mapSource, originalPos } from '../compiler/ir/source.ts';
import { ShapeError } from '../compiler/ir/shape.ts';
import { bundleModel, type Bundled } from './bundle.ts';
import { isModel, type Model, type BuiltModel } from '../compiler/dsl/model.ts';
import { GraphError } from '../compiler/ir/errors.ts';
import { inlineData, checkFinite, type Dataset } from '../runtime/data.ts';
import { readCsvFile } from '../runtime/node.ts';
import { allocate } from '../runtime/kernels/heap.ts';
import { UserError } from './errors.ts';
import type { Inputs } from './write.ts';
import type { ImportedModel } from '../export/import.ts';
import type { Node } from '../compiler/ir/node.ts';
import type { OnnxSession } from '../export/specialize.ts';

export { checkReadable } from './readable.ts';
import { MODULE_FILE, notModule } from './model-file.ts';

/** Registers the bundle's source map, so stack positions in it name the user's file and line. */
function useSourceMap(b: Bundled): void {
  const map = new SourceMap(JSON.parse(b.map) as SourceMapPayload);
  const dir = dirname(b.file);
  mapSource(b.file, (line, col) => {
    const e = map.findEntry(line - 1, col - 1) as { originalSource?: string; originalLine?: number; originalColumn?: number };
    if (!e?.originalSource || e.originalLine === undefined) return undefined;
    const src = e.originalSource.startsWith('file://') ? fileURLToPath(e.originalSource) : resolve(dir, e.originalSource);
    return { file: src, line: e.originalLine + 1, col: (e.originalColumn ?? 0) + 1 };
  });
}

/** What a model threw, in words: an Error's message, or the value itself (`throw null`, a string...). */
export function thrownMessage(e: unknown): string {
  if (e instanceof Error || (typeof e === 'object' && e !== null && typeof (e as Error).message === 'string')) return String((e as Error).message).split('\n')[0] || (e as Error).name;
  if (typeof e === 'string') return e.split('\n')[0];
  try {
    return `threw ${e === undefined ? 'undefined' : JSON.stringify(e) ?? String(e)}`;
  } catch {
    return `threw ${String(e)}`;
  }
}

/**
 * Imports the module; a module whose top-level await never settles would otherwise let Node exit with
 * code 13 and no message: when the event loop runs dry while it is still loading, that is a user error.
 */
async function importSettled(url: string, path: string): Promise<Record<string, unknown>> {
  const stuck = () => {
    process.stderr.write(`graphc: ${path}: the model module never finished loading (a top-level await that never settles)\n`);
    process.exit(1);
  };
  process.once('beforeExit', stuck);
  try {
    return (await import(url)) as Record<string, unknown>;
  } finally {
    process.off('beforeExit', stuck);
  }
}

/** The files each loaded model reads besides its own: the modules it imports, its built-in data file. */
const filesRead = new WeakMap<Model, Inputs>();

/**
 * The files a model loaded by `loadModel` reads besides the model file itself, as a command's inputs:
 * an output naming one of them (`--onnx data/toy.csv` for a model whose data that is) is refused as an
 * output naming the model file is, where the command line alone does not show them.
 */
export function modelFiles(model: Model): Inputs {
  const d = model.spec.data;
  const data = d instanceof URL ? (d.protocol === 'file:' ? fileURLToPath(d) : undefined) : typeof d === 'string' ? resolve(d) : undefined;
  return [...(filesRead.get(model) ?? []), [`the built-in data of model ${model.spec.name}`, data]];
}

export async function loadModel(path: string): Promise<Model> {
  const abs = checkReadable(path, 'model file');
  if (!MODULE_FILE.test(abs)) throw new UserError(notModule(path, abs));
  const bundled = await bundleModel(abs, displayFile);
  useSourceMap(bundled);
  let mod: Record<string, unknown>;
  try {
    mod = await importSettled(pathToFileURL(bundled.file).href, path);
  } catch (e) {
    if (e instanceof GraphError || e instanceof ShapeError) throw e;
    throw new UserError(`${path}${firstUserFrame(e, abs)}: the model module failed to load: ${thrownMessage(e)}`, { cause: e });
  }
  const m = mod.default;
  if (!isModel(m)) throw new UserError(`${path}: not a graphc model (expected \`export default defineModel({...})\`)`);
  filesRead.set(m, bundled.inputs.filter((f) => f !== abs).map((f) => ['a module the model imports', f] as const));
  return m;
}

/** Builds a model's graphs; an exception from the user's build() is a user error naming its line. */
export function buildModel(model: Model, file: string, opts: Record<string, string>): BuiltModel {
  try {
    return model.build(opts);
  } catch (e) {
    if (e instanceof GraphError) throw e;
    throw new UserError(`${file}${firstUserFrame(e, resolve(file))}: the model threw while building its graph: ${thrownMessage(e)}`, { cause: e });
  }
}

/** `:line:col` of the first stack frame in the user's file `abs` (through the bundle's source map). */
function firstUserFrame(e: unknown, abs: string): string {
  const stack = typeof (e as Error)?.stack === 'string' ? (e as Error).stack! : '';
  for (const l of stack.split('\n')) {
    const m = /\(?((?:file:\/\/|\/)[^()\s]*?):(\d+):(\d+)\)?\s*$/.exec(l.trim());
    if (!m) continue;
    const p = originalPos(m[1], Number(m[2]), Number(m[3]));
    const f = p.file.startsWith('file://') ? fileURLToPath(p.file) : p.file;
    if (f === abs) return `:${p.line}:${p.col}`;
  }
  return '';
}

/** Said once, on standard error: how graphc computes an imported model (a float64 model: in float32). */
const sayNotes = (path: string, notes: readonly string[]) => notes.forEach((note) => process.stderr.write(`graphc: ${path}: ${note}\n`));

/**
 * Imports an ONNX file into graphc's IR; a bad file is a one-line user error. A model whose shapes are
 * computed from an input's shape (symbolic dims read by Shape or Size) is imported specialised on the shape
 * `shapeOf` gives that input (its node as the file declares it), where it gives one.
 */
export async function loadOnnx(path: string, shapeOf?: (input: Node) => number[] | undefined): Promise<ImportedModel> {
  const abs = checkReadable(path, 'ONNX model');
  const { importOnnx, OnnxImportError, OnnxSpecializeError } = await import('../export/import.ts');
  const bytes = new Uint8Array(readFileSync(abs));
  try {
    let m: ImportedModel;
    try {
      m = importOnnx(bytes, { file: path });
    } catch (e) {
      const need = e instanceof OnnxSpecializeError && !e.inputs.length && e.shapes.length === 1 ? e : undefined;
      const input = need?.graphInputs.find((n) => n.attrs.name === need.shapes[0]);
      const shape = input && shapeOf?.(input);
      if (!shape) throw e;
      m = importOnnx(bytes, { file: path, shapes: new Map([[String(input.attrs.name), shape]]) });
    }
    sayNotes(path, m.notes);
    return m;
  } catch (e) {
    if (e instanceof OnnxImportError) throw new UserError(`${path}: ${e.message}`);
    throw e;
  }
}

/**
 * An ONNX file as a session (export/specialize.ts): imported now, or, where a graph input decides a shape
 * or a mode, once per value it is fed; its notes said on standard error; a bad file is a one-line user error.
 */
export async function loadOnnxSession(path: string): Promise<OnnxSession> {
  const abs = checkReadable(path, 'ONNX model');
  const [{ OnnxSession }, { OnnxImportError }] = await Promise.all([import('../export/specialize.ts'), import('../export/import-error.ts')]);
  try {
    const session = new OnnxSession(new Uint8Array(readFileSync(abs)), { file: path });
    sayNotes(path, session.notes);
    return session;
  } catch (e) {
    if (e instanceof OnnxImportError) throw new UserError(`${path}: ${e.message}`);
    throw e;
  }
}

// A data file is read straight into the memory the kernels read in place, so that training copies it
// nowhere else: one copy of the data, not two. The command trains once, so it is kept to the end.
const commandLifetime = {};
const inHeap = (floats: number): Float32Array => allocate(floats, commandLifetime);

export function loadData(model: Model | null, dataPath: string | undefined): { data: Dataset; source: string } {
  let data: Dataset;
  let source: string;
  if (dataPath) {
    const abs = checkReadable(dataPath, 'CSV data file');
    data = readCsvFile(abs, dataPath, inHeap);
    source = dataPath;
  } else {
    const d = model?.spec.data;
    if (!model || !d) throw new UserError(`model ${model?.spec.name ?? ''} has no built-in data: give one with --data FILE.csv`);
    if (d instanceof URL || typeof d === 'string') {
      const file = d instanceof URL ? fileURLToPath(d) : resolve(d);
      // named as the user names files, from the working directory, and said to be the model's own
      const shown = displayFile(file);
      data = readCsvFile(checkReadable(shown, `the built-in data of model ${model.spec.name}`), shown, inHeap);
      source = file;
    } else if (typeof d === 'function') {
      data = d();
      source = '<generated by the model>';
    } else {
      data = inlineData(d.x, d.y);
      source = '<built-in>';
    }
  }
  checkFinite(data.source ? data : { ...data, source });
  return { data, source };
}
