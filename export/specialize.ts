/**
 * An ONNX model run as onnxruntime runs it, where graphc fixes shapes at import: when an operand that
 * decides a shape or a mode (Range's operands, OneHot's depth, Dropout's training_mode and ratio, an int64
 * shape, axes, pads, repeats or Slice's starts and ends) is a graph input, the model is specialised on
 * that input's value; when it is computed from the shape of an input with symbolic dims (Shape or Size of
 * a dynamic batch, and what is computed from them) or an op needs a symbolic dim as a number (a sequence
 * unrolled, ConvTranspose's extent), on that input's shape. `OnnxSession` imports the model
 * bound to the values each run is fed (`ImportOptions.bind`) and to the shapes (`ImportOptions.shapes`),
 * once per distinct value and shape (the inputs whose values it binds are small: a scalar or a shape
 * vector, export/import-constant.ts), keeps the last `MAX_VARIANTS` imports and their plans, and says which
 * inputs it specialises on and why (`explain()`, `graphc run --explain`). A model that needs neither is
 * imported once, as `importOnnx` imports it.
 */
import type { Node } from '../compiler/ir/node.ts';
import { Graph } from '../compiler/ir/graph.ts';
import { Plan } from '../runtime/plan.ts';
import { formatPlanReport } from '../runtime/report.ts';
import { decodeModel, importOnnx, type ImportedModel, type ImportOptions } from './import.ts';
import { OnnxImportError, OnnxSpecializeError } from './import-error.ts';
import { narrowDoubles } from './import-tensor.ts';
import { float64Use, FLOAT64_NOTE } from './import-f64.ts';
import { INT_TYPES, intTypeProblem, type IntType } from '../compiler/ops/int-types.ts';
import { DataType } from './proto.ts';

/** How many specialisations (distinct values of the inputs specialised on) a session keeps. */
export const MAX_VARIANTS = 16;

export interface SessionFeed {
  /** Float64Array for a float64 input (narrowed to float32, refused where float32 cannot hold a value). */
  readonly data: Float32Array | Float64Array;
  readonly shape: readonly number[];
}

/**
 * An output as the model declares it: Float64Array (dtype 'f64') for an output declared float64; an output
 * of a small integer type has its short name as dtype (u8, i8, u16, i16, u32, u64), one declared int32 'i32'.
 */
export interface SessionOutput {
  readonly data: Float32Array | Float64Array;
  readonly shape: readonly number[];
  readonly dtype: string;
}

interface Variant {
  readonly model: ImportedModel;
  plan?: Plan;
  planKey?: string;
  /** Whether every constant of the model's graph is finite (found at its first run). */
  constantsFinite?: boolean;
}

/**
 * The graph a model's plans run: its outputs and, for a float64 model, every float64 tensor it computes,
 * kept so that each run can check them (`OnnxSession.run`).
 */
function planGraph(m: ImportedModel): Graph {
  const kept = new Set(m.graph.outputs.map((o) => o.node));
  const extra = [...m.float64.computed].filter(([, n]) => !kept.has(n) && kept.add(n)).map(([name, node]) => ({ name: `\0float64 ${name}`, node }));
  return extra.length ? new Graph([...m.graph.outputs, ...extra], m.graph.name) : m.graph;
}

/** Whether every constant a graph holds is finite (a float64 model's check only looks for what the computation made). */
const finiteConstants = (g: Graph) => g.nodes.every((n) => n.op !== 'Const' || (n.attrs.value as Float32Array).every(Number.isFinite));

/**
 * Refuses a float64 tensor computed in float32 (`what`) that holds a value float32's range could not: an
 * Infinity, or a NaN made of one, from finite inputs.
 */
function refuseOverflow(v: { readonly data: Float32Array; readonly shape: readonly number[] }, what: string, computation = 'computation'): void {
  const count = v.shape.reduce((a, b) => a * b, 1);
  const bad = v.data.subarray(0, count).findIndex((x) => !Number.isFinite(x));
  if (bad >= 0) fail(`${what}: value ${bad} is ${v.data[bad]} from finite inputs; graphc computes float64 tensors in float32, whose range (±3.4e38) the ${computation} left`);
}

export class OnnxSession {
  /** The model's graph inputs (initializers excepted), in the file's order, as the import reads them. */
  readonly inputs: readonly Node[];
  /** Graph inputs with an initializer (a default a feed replaces). */
  readonly defaults: readonly Node[];
  /** The graph's outputs by name, in the file's order. */
  readonly outputNames: readonly string[];
  /** What the import says about how the model is computed (a float64 model: in float32), one line each. */
  readonly notes: readonly string[] = [];
  /** The graph inputs the model declares float64 (fed as Float64Array, narrowed to float32). */
  readonly float64Inputs: ReadonlySet<string>;
  /**
   * The graph inputs and outputs of a small integer type (uint8, int8, uint16, int16, uint32, uint64), held
   * as integers in float32: a value fed must fit its type and be within 2^24 (exact in float32).
   */
  readonly intTypes: ReadonlyMap<string, IntType>;
  /** The graph outputs declared int32 (held as integers in float32, as int64's are; handed out as dtype 'i32'). */
  readonly int32Outputs: ReadonlySet<string>;
  /** The inputs the model is specialised on the values of, each with why (the node whose operand it decides). */
  readonly specializedOn = new Map<string, string>();
  /** The inputs the model is specialised on the shapes of (symbolic dims read by Shape or Size, or needed as numbers), each with why. */
  readonly specializedOnShape = new Map<string, string>();
  private readonly variants = new Map<string, Variant>();
  /** The names a feed may take (the graph inputs and the defaults'), made on the first run. */
  private inputNames?: string[];
  /** The bool graph inputs (and defaults), whose values fed must be 0 or 1, made on the first run. */
  private boolInputs?: Set<string>;
  private compiled = 0;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly opts: Omit<ImportOptions, 'bind' | 'shapes'> = {},
  ) {
    const g = decodeModel(bytes).graph;
    this.outputNames = (g?.output ?? []).map((o) => o.name ?? '');
    const use = float64Use(g ?? {});
    this.float64Inputs = use.inputs;
    this.intTypes = new Map([...(g?.input ?? []), ...(g?.output ?? [])].flatMap((v) => {
      const t = INT_TYPES.get(v.type?.tensorType?.elemType ?? 0);
      return t && v.name ? [[v.name, t] as const] : [];
    }));
    this.int32Outputs = new Set((g?.output ?? []).flatMap((v) => (v.type?.tensorType?.elemType === DataType.INT32 && v.name ? [v.name] : [])));
    if (use.any) this.notes = [FLOAT64_NOTE];
    try {
      const m = importOnnx(bytes, opts);
      this.compiled = 1;
      [this.inputs, this.defaults] = [m.inputs, m.defaults];
      for (const [name, why] of m.readDefaults) this.specializedOn.set(name, why);
      // the defaults read at import, none fed: this import
      this.variants.set(this.key(new Map()), { model: m });
    } catch (e) {
      if (!(e instanceof OnnxSpecializeError)) throw e;
      for (const name of e.inputs) this.specializedOn.set(name, e.message);
      for (const name of e.shapes) this.specializedOnShape.set(name, e.message);
      [this.inputs, this.defaults] = [e.graphInputs as Node[], e.defaults as Node[]];
    }
  }

  /** The model imported for these feeds: bound to the values of the inputs it is specialised on (cached). */
  model(feeds: ReadonlyMap<string, SessionFeed>): ImportedModel {
    for (;;) {
      const key = this.key(feeds);
      const hit = this.variants.get(key);
      if (hit) {
        // most recently used last
        this.variants.delete(key);
        this.variants.set(key, hit);
        return hit.model;
      }
      // an input specialised on is fed (key() checks), but for a default left out: its initializer's value
      const bind = new Map([...this.specializedOn.keys()].flatMap((name) => {
        const f = feeds.get(name);
        return f ? [[name, { values: Array.from(f.data), dims: [...f.shape] }] as const] : [];
      }));
      const shapes = new Map([...this.specializedOnShape.keys()].map((name) => [name, [...feeds.get(name)!.shape]] as const));
      try {
        const model = importOnnx(this.bytes, { ...this.opts, bind, shapes });
        const fresh = [...model.readDefaults].filter(([name]) => !this.specializedOn.has(name));
        for (const [name, why] of fresh) this.specializedOn.set(name, why);
        // a default read at import and fed: import again, bound to the value fed
        if (fresh.some(([name]) => feeds.has(name))) continue;
        this.variants.set(this.key(feeds), { model });
        this.compiled++;
        if (this.variants.size > MAX_VARIANTS) this.variants.delete(this.variants.keys().next().value!);
        return model;
      } catch (e) {
        if (!(e instanceof OnnxSpecializeError)) throw e;
        // another operand needs a value or a shape: specialise on its inputs too (each round adds one at least)
        const fresh = e.inputs.filter((n) => !this.specializedOn.has(n));
        const freshShapes = e.shapes.filter((n) => !this.specializedOnShape.has(n));
        if (fresh.length === 0 && freshShapes.length === 0) throw new OnnxImportError(e.message);
        for (const name of fresh) this.specializedOn.set(name, e.message);
        for (const name of freshShapes) this.specializedOnShape.set(name, e.message);
      }
    }
  }

  /**
   * Runs the model on these feeds (every graph input by name, as a Map or an object; a default's may be
   * left out): its outputs by name.
   */
  run(given: ReadonlyMap<string, SessionFeed> | Readonly<Record<string, SessionFeed>>): Map<string, SessionOutput> {
    const entries: [string, SessionFeed][] = given instanceof Map ? [...given] : Object.entries(given);
    for (const [name, f] of entries) this.checkFeed(name, f);
    // float64 values narrowed to float32 once, before they bind a specialisation or feed the plan
    const feeds = new Map(entries.map(([name, f]) => [name, f.data instanceof Float64Array ? { shape: f.shape, data: narrowDoubles(f.data, `input '${name}'`) } : f] as const));
    const bools = (this.boolInputs ??= new Set([...this.inputs, ...this.defaults].flatMap((n) => (n.dtype === 'bool' ? [String(n.attrs.name)] : []))));
    for (const [name, f] of feeds) {
      // a bool is 0 or 1: onnxruntime hands a Uint8Array's bytes on as C++ bools unchecked, where 2 means
      // nothing defined (one op reads it as true, another as false)
      if (bools.has(name)) {
        const bad = f.data.findIndex((v) => v !== 0 && v !== 1);
        if (bad >= 0) fail(`input '${name}' (bool): value ${bad} is ${f.data[bad]}, not 0 or 1`);
      }
      const t = this.intTypes.get(name);
      if (!t) continue;
      const count = f.shape.reduce((a, b) => a * b, 1);
      for (let i = 0; i < count; i++) {
        const why = intTypeProblem(t, f.data[i]);
        if (why) fail(`input '${name}' (${t.name}): value ${i} is ${f.data[i]}, ${why}`);
      }
    }
    const m = this.model(feeds);
    const variant = this.variants.get(this.key(feeds))!;
    const shapes = new Map<string, number[]>();
    const leaves = new Map<string, Float32Array>(m.params.map((p) => [String(p.attrs.name), p.attrs.init as Float32Array]));
    for (const n of m.inputs) {
      const name = String(n.attrs.name);
      const f = feeds.get(name) ?? fail(`input '${name}' is not fed`);
      shapes.set(name, [...f.shape]);
      leaves.set(name, f.data as Float32Array);
    }
    // a fed value replaces an initializer's (ONNX: an initializer of a graph input is its default)
    for (const p of m.defaults) {
      const f = feeds.get(String(p.attrs.name));
      if (f) leaves.set(String(p.attrs.name), f.data as Float32Array);
    }
    const planKey = JSON.stringify([...shapes]);
    if (!variant.plan || variant.planKey !== planKey) [variant.plan, variant.planKey] = [new Plan(planGraph(m), shapes), planKey];
    variant.plan.run(leaves);
    const finiteIn = m.float64.any && [...leaves.values()].every((d) => d.every(Number.isFinite)) && (variant.constantsFinite ??= finiteConstants(m.graph));
    // float64 computed in float32: a float64 tensor that left float32's range on the way (Infinity, or NaN
    // made of it) is refused, not handed on to the outputs it feeds, whatever their type
    if (finiteIn) for (const [name, node] of m.float64.computed) refuseOverflow(variant.plan.value(node), `float64 tensor '${name}'${node.src?.at ? ` (${node.src.at})` : ''}`);
    return new Map(m.graph.outputs.map((o): [string, SessionOutput] => {
      const v = variant.plan!.value(o.node);
      const count = v.shape.reduce((a, b) => a * b, 1);
      const small = this.intTypes.get(o.name);
      if (small && o.node.dtype === 'i64') return [o.name, { shape: [...v.shape], data: v.data.slice(0, count), dtype: small.short }];
      if (this.int32Outputs.has(o.name) && o.node.dtype === 'i64') return [o.name, { shape: [...v.shape], data: v.data.slice(0, count), dtype: 'i32' }];
      if (!m.float64.outputs.has(o.name)) return [o.name, { shape: [...v.shape], data: v.data.slice(0, count), dtype: o.node.dtype }];
      if (finiteIn) refuseOverflow(v, `output '${o.name}' (float64)`, "model's computation");
      return [o.name, { shape: [...v.shape], data: Float64Array.from(v.data.subarray(0, count)), dtype: 'f64' }];
    }));
  }

  /** Refuses a feed that names no input of the model, or whose data is not a float array of its shape's size. */
  private checkFeed(name: string, f: SessionFeed): void {
    const known = (this.inputNames ??= [...this.inputs, ...this.defaults].map((n) => String(n.attrs.name)));
    if (!known.includes(name)) fail(`'${name}' is not an input of the model (its inputs: ${known.map((n) => `'${n}'`).join(', ') || 'none'})`);
    if (!f || !(f.data instanceof Float32Array || f.data instanceof Float64Array)) fail(`input '${name}': data must be a Float32Array (a Float64Array for a float64 input), not ${describe(f?.data)}`);
    if (!Array.isArray(f.shape) || !f.shape.every((d) => Number.isInteger(d) && d >= 0)) fail(`input '${name}': shape must be an array of non-negative integers, not ${JSON.stringify(f.shape)}`);
    const count = f.shape.reduce((a, b) => a * b, 1);
    if (f.data.length !== count) fail(`input '${name}': shape [${f.shape.join(', ')}] holds ${count} values, and its data has ${f.data.length}`);
  }

  /** What the session decided: the inputs specialised on and why, how many imports, the last plan's report. */
  explain(): string {
    const lines: string[] = [];
    const names = (m: ReadonlyMap<string, string>) => [...m.keys()].map((n) => `'${n}'`).join(', ');
    if (this.specializedOn.size === 0 && this.specializedOnShape.size === 0) lines.push('specialisation: none (no graph input decides a shape or a mode)');
    else {
      const on = [this.specializedOn.size ? `value of ${names(this.specializedOn)}` : '', this.specializedOnShape.size ? `shape of ${names(this.specializedOnShape)}` : ''].filter(Boolean).join(' and ');
      lines.push(`specialisation: the model is imported once per distinct ${on} (${this.compiled} import${this.compiled === 1 ? '' : 's'} so far, the last ${MAX_VARIANTS} kept)`);
      for (const [name, why] of this.specializedOn) lines.push(`  '${name}': ${why}`);
      for (const [name, why] of this.specializedOnShape) lines.push(`  '${name}' (its shape): ${why}`);
    }
    const last = [...this.variants.values()].pop();
    if (last?.plan) lines.push(formatPlanReport('plan', last.plan.report()));
    return lines.join('\n');
  }

  private key(feeds: ReadonlyMap<string, SessionFeed>): string {
    if (this.specializedOn.size === 0 && this.specializedOnShape.size === 0) return '';
    const optional = new Set(this.defaults.map((p) => String(p.attrs.name)));
    const values = [...this.specializedOn.keys()].sort().map((name) => {
      const f = feeds.get(name);
      if (!f && optional.has(name)) return [name, 'default'];
      if (!f) fail(`input '${name}' is not fed, and the model is specialised on its value (${this.specializedOn.get(name)})`);
      return [name, f!.shape, Array.from(f!.data)];
    });
    const shapes = [...this.specializedOnShape.keys()].sort().map((name) => {
      const f = feeds.get(name) ?? fail(`input '${name}' is not fed, and the model is specialised on its shape (${this.specializedOnShape.get(name)})`);
      return [name, f.shape];
    });
    return JSON.stringify(shapes.length ? [values, shapes] : values);
  }
}

/** What a value is, for a refusal: its constructor's name, or its type. */
const describe = (v: unknown): string => (v === null ? 'null' : typeof v === 'object' ? (v.constructor?.name ?? 'an object') : typeof v);

const fail = (msg: string): never => {
  throw new OnnxImportError(msg);
};
