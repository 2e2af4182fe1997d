/** Loading what the user names on the command line: model modules and data files (Node edge). */
import { existsSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { aliasSource } from '../ir/source.ts';
import { pathToFileURL, fileURLToPath } from 'node:url';
import { isModel, type Model, type BuiltModel } from '../dsl/model.ts';
import { GraphError } from '../ir/errors.ts';
import { parseCsv, inlineData, firstNaNRow, type Dataset } from '../../runtime/data.ts';
import { UserError } from './errors.ts';
import { importOnnx, OnnxImportError, type ImportedModel } from '../../export/index.ts';

export function checkReadable(path: string, what: string): string {
  const abs = resolve(path);
  if (!existsSync(abs)) throw new UserError(`${path}: no such file (${what})`);
  if (statSync(abs).isDirectory()) throw new UserError(`${path}: is a directory, expected a ${what}`);
  return abs;
}

/** Whether `file` is in an ES module scope (nearest package.json has "type": "module"). */
function inModuleScope(file: string): boolean {
  for (let dir = dirname(file); ; dir = dirname(dir)) {
    const pj = join(dir, 'package.json');
    if (existsSync(pj)) {
      try {
        return (JSON.parse(readFileSync(pj, 'utf8')) as { type?: string }).type === 'module';
      } catch {
        return false;
      }
    }
    if (dirname(dir) === dir) return false;
  }
}

/**
 * Imports a model module as an ES module. A `.ts` file outside an ES module scope (a folder whose
 * package.json says "commonjs", as `npm init` writes) is imported through a temporary `.mts` copy beside
 * it, so that its `import` statements mean what they say; positions are shown under the original name.
 */
async function importModule(abs: string): Promise<Record<string, unknown>> {
  if (abs.endsWith('.mts') || inModuleScope(abs)) return (await import(pathToFileURL(abs).href)) as Record<string, unknown>;
  const copy = join(dirname(abs), `.${basename(abs)}.${process.pid}.graphc.mts`);
  writeFileSync(copy, readFileSync(abs));
  aliasSource(copy, abs);
  try {
    return (await import(pathToFileURL(copy).href)) as Record<string, unknown>;
  } finally {
    unlinkSync(copy);
  }
}

export async function loadModel(path: string): Promise<Model> {
  const abs = checkReadable(path, 'model .ts file');
  let mod: Record<string, unknown>;
  try {
    mod = await importModule(abs);
  } catch (e) {
    const err = e as Error & { code?: string };
    const where = firstUserFrame(err, abs);
    if (err.name === 'GraphError' || err.name === 'ShapeError') throw err;
    throw new UserError(`${path}${where}: the model module failed to load: ${err.message.split('\n')[0]}`);
  }
  const m = mod.default;
  if (!isModel(m)) throw new UserError(`${path}: not a graphc model (expected \`export default defineModel({...})\`)`);
  return m;
}

/** Builds a model's graphs; an exception from the user's build() is a user error naming its line. */
export function buildModel(model: Model, file: string, opts: Record<string, string>): BuiltModel {
  try {
    return model.build(opts);
  } catch (e) {
    if (e instanceof GraphError) throw e;
    const err = e as Error;
    throw new UserError(`${file}${firstUserFrame(err, resolve(file))}: the model threw while building its graph: ${String(err?.message ?? e).split('\n')[0]}`);
  }
}

function firstUserFrame(e: Error, abs: string): string {
  const m = (e.stack ?? '').split('\n').find((l) => l.includes(abs));
  const pos = m && /:(\d+):(\d+)\)?\s*$/.exec(m);
  return pos ? `:${pos[1]}:${pos[2]}` : '';
}

/** The data named by --data, or the model's built-in data. */
/** Imports an ONNX file into graphc's IR; a bad file is a one-line user error. */
export function loadOnnx(path: string): ImportedModel {
  const abs = checkReadable(path, 'ONNX model');
  try {
    return importOnnx(new Uint8Array(readFileSync(abs)));
  } catch (e) {
    if (e instanceof OnnxImportError) throw new UserError(`${path}: ${e.message}`);
    throw e;
  }
}

export function loadData(model: Model | null, dataPath: string | undefined): { data: Dataset; source: string } {
  let data: Dataset;
  let source: string;
  if (dataPath) {
    const abs = checkReadable(dataPath, 'CSV data file');
    data = parseCsv(readFileSync(abs, 'utf8'), dataPath);
    source = dataPath;
  } else {
    const d = model?.spec.data;
    if (!model || !d) throw new UserError(`model ${model?.spec.name ?? ''} has no built-in data: give one with --data FILE.csv`);
    if (d instanceof URL || typeof d === 'string') {
      const file = d instanceof URL ? fileURLToPath(d) : resolve(d);
      data = parseCsv(readFileSync(checkReadable(file, 'CSV data file'), 'utf8'), file);
      source = file;
    } else {
      data = inlineData(d.x, d.y);
      source = '<built-in>';
    }
  }
  const nanRow = firstNaNRow(data);
  if (nanRow) throw new UserError(`${source}: data row ${nanRow} holds NaN`);
  return { data, source };
}
