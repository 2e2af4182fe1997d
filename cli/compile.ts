/** `graphc compile MODEL.ts`: builds and optimizes the model's graphs; prints, explains or exports them. */
import type { Command } from 'commander';
import { compileModel, type CompiledModel } from '../compiler/passes/index.ts';
import type { PassReport } from '../compiler/passes/pipeline.ts';
import { printGraph } from '../compiler/ir/print.ts';
import { posStr, resolvePos } from '../compiler/ir/source.ts';
import type { Model } from '../compiler/dsl/model.ts';
import { loadModel, buildModel, modelFiles } from './load.ts';
import { collectOption, parseOptions, positiveInt, learningRate, refuseUnused } from './args.ts';
import { checkOutputs, writeAtomic } from './write.ts';
import { CheckGate, startCheck } from './check.ts';
import { exportModel, OPSET } from '../export/index.ts';
import { Plan, type PlanOptions } from '../runtime/plan.ts';
import { stepUpdates } from '../runtime/trainer.ts';
import { formatPlanReport } from '../runtime/report.ts';
import type { Graph } from '../compiler/ir/graph.ts';

/** What the runtime decides for a graph planned with every symbolic dim at `rows`. */
export function explainPlan(title: string, g: Graph, rows: number, options: PlanOptions = {}): string {
  const shapes = new Map(g.inputs.map((n) => [String(n.attrs.name), (n.attrs.shape as (number | string)[]).map((d) => (typeof d === 'number' ? d : rows))]));
  return formatPlanReport(title, new Plan(g, shapes, options).report());
}

export interface CompileFlags {
  option: string[];
  opt: boolean;
  fuse: boolean;
  lr?: number;
}

/** A command's outputs, by option: refused where one names a file the model reads (cli/load.ts, modelFiles). */
type Outputs = readonly (readonly [option: string, path: string | undefined])[];

/** Loads and compiles a model as the flags say (shared by compile, inspect and train). */
export async function loadAndCompile(file: string, o: CompileFlags, outputs: Outputs = []): Promise<{ model: Model; compiled: CompiledModel }> {
  const model = await loadModel(file);
  checkOutputs(outputs, modelFiles(model));
  const built = buildModel(model, file, parseOptions(o.option));
  const compiled = compileModel(built, { lr: o.lr ?? model.train.lr, optimizer: model.train.optimizer, optimize: o.opt, fuse: o.fuse });
  return { model, compiled };
}

export function explain(report: readonly PassReport[]): string {
  const lines: string[] = [];
  let graph = '';
  for (const r of report) {
    if (r.graph !== graph) lines.push(`${(graph = r.graph)}:`);
    const n = r.rewrites.length;
    const where = [...new Set(r.rewrites.filter((x) => x.src).map((x) => posStr(x.src)))];
    lines.push(`  ${r.pass}: ${r.before} -> ${r.after} ops, ${n} rewrite${n === 1 ? '' : 's'}${where.length ? ` at ${where.join(', ')}` : ''}`);
    for (const x of r.rewrites) {
      lines.push(`      ${x.what}${resolvePos(x.src) ? `  (${posStr(x.src)})` : ''}`);
      if (x.why) lines.push(`        why: ${x.why}`);
    }
    for (const m of r.misses) lines.push(`      not applied${resolvePos(m.src) ? ` at ${posStr(m.src)}` : ''}: ${m.what}`);
  }
  return lines.join('\n');
}

/** Adds the `compile` command's argument, options and action to its entry (named and described by commands.ts). */
export function registerCompile(command: Command, run: (fn: () => Promise<void>) => Promise<void>): Command {
  return command
    .argument('<model>', 'model file (.ts, or .js) that default-exports defineModel({...})')
    .option('--print', 'print the train-step graph as text (optimized unless --no-opt)')
    .option('--graph <which>', 'with --print: train | forward | infer', 'train')
    .option('--explain', 'list each pass with node counts before and after and what it rewrote where, then what the runtime plans (row regions, one call, each kernel\'s path, fallbacks)')
    .option('--rows <n>', 'with --explain: plan for this many rows (every symbolic dim)', positiveInt, 64)
    .option('--no-check', 'skip type-checking the model file first')
    .option('--no-opt', 'skip the optimization pipeline')
    .option('--no-fuse', 'keep the loss as written (no sigmoid + BCE fusion)')
    .option('--lr <x>', 'the initial value of the train step\'s learning-rate leaf, optimizer.lr (default: the model\'s)', learningRate)
    .option('--option <key=value>', 'choose a model variant, e.g. loss=bce (repeatable)', collectOption, [] as string[])
    .option('--onnx <out.onnx>', 'write the inference graph (inputs to predictions, parameters as initializers) as ONNX')
    .option('--onnx-train <out.onnx>', 'write the training step as ONNX: inputs the parameters and a batch, outputs the loss and <param>.next')
    .action((file: string, o: CompileFlags & { print?: boolean; graph: string; explain?: boolean; rows: number; onnx?: string; onnxTrain?: string; check: boolean }, cmd: Command) =>
      run(async () => {
        refuseUnused(cmd, '--graph', !o.print, 'chooses the graph --print prints: add --print');
        refuseUnused(cmd, '--rows', !o.explain, 'sets the rows --explain plans for: add --explain');
        checkOutputs([['--onnx', o.onnx], ['--onnx-train', o.onnxTrain]], [['the model file', file]]);
        const check = o.check && !file.endsWith('.onnx') ? startCheck(file) : null;
        const gate = new CheckGate(check, file);
        const { compiled } = await gate.during(() => loadAndCompile(file, o, [['--onnx', o.onnx], ['--onnx-train', o.onnxTrain]]));
        await gate.settle();
        const graphs: Record<string, typeof compiled.trainStep> = { train: compiled.trainStep, forward: compiled.forward, infer: compiled.inference };
        const g = graphs[o.graph];
        if (!g) throw new (await import('./errors.ts')).UserError(`--graph must be train, forward or infer, got '${o.graph}'`);
        const out: string[] = [];
        if (o.explain) {
          out.push(o.opt ? explain(compiled.report) : 'optimization is off (--no-opt): no passes ran');
          out.push(explainPlan('train step plan', compiled.trainStep, o.rows, { updates: stepUpdates(compiled.trainStep) }), explainPlan('inference plan', compiled.inference, o.rows));
        }
        if (o.print) out.push(printGraph(g));
        // both exported before either is written: a failure leaves neither file behind
        const inference = o.onnx ? exportModel(compiled, 'inference') : null;
        const step = o.onnxTrain ? exportModel(compiled, 'train') : null;
        if (o.onnx && inference) {
          await writeAtomic(o.onnx, inference);
          out.push(`wrote ${o.onnx} (inference, ONNX opset ${OPSET})`);
        }
        if (o.onnxTrain && step) {
          await writeAtomic(o.onnxTrain, step);
          out.push(`wrote ${o.onnxTrain} (training step, ONNX opset ${OPSET})`);
        }
        if (!o.explain && !o.print && !o.onnx && !o.onnxTrain)
          out.push(`${file}: train step ${compiled.trainStep.opCount} ops, inference ${compiled.inference.opCount} ops (use --print, --explain, --onnx or --onnx-train)`);
        process.stdout.write(out.join('\n') + '\n');
      }),
    );
}
