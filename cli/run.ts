/**
 * `graphc run MODEL.onnx --input [name=]FILE ... [--output [name=]FILE ...]`: imports an ONNX model and
 * runs it in graphc's runtime on inputs read from CSV, .npy or JSON files (cli/feed.ts), printing the
 * outputs or writing them to files (cli/outputs.ts).
 */
import type { Command } from 'commander';
import { Plan } from '../runtime/plan.ts';
import { loadOnnx } from './load.ts';
import { assignInputs, readInputs } from './feed.ts';
import { assignOutputs, formatOutputs, jsonTensor, writeOutputs, type Outputs } from './outputs.ts';

export { formatOutputs };

const collect = (v: string, prev: string[]) => [...prev, v];

/** Adds the `run` command's argument, options and action to its entry (named and described by commands.ts). */
export function registerRun(command: Command, run: (fn: () => Promise<void>) => Promise<void>): Command {
  return command
    .argument('<model.onnx>', 'an ONNX model (its inputs of any rank, float32, int64 or bool)')
    .requiredOption(
      '--input <[name=]file>',
      'an input\'s values (repeatable; the bare file when the model has one input): .csv (one row per example, ' +
        'the rest of the input\'s shape row-major across the columns, one more column a label, ignored; # starts a comment), ' +
        '.npy (float32/float64, int32/int64 for integer inputs, C order), or .json (nested arrays, or {"shape": [...], "data": [...]})',
      collect,
      [] as string[],
    )
    .option(
      '--output <[name=]file>',
      'write an output to a file instead of printing it (repeatable; by extension: .csv, .npy or .json; a bare .json takes every output); written when complete',
      collect,
      [] as string[],
    )
    .option('--allow-non-finite', 'run on input values that are NaN, Infinity or beyond float32\'s range (refused by default, one line naming the file, line and column, as training data\'s are)')
    .option('--json', 'print the outputs not written to files as one JSON document: { model, inputs, outputs: { name: { shape, data } } }')
    .action((file: string, o: { input: string[]; output: string[]; json?: boolean; allowNonFinite?: boolean }) =>
      run(async () => {
        const m = await loadOnnx(file);
        const inputFiles = assignInputs(o.input, m.inputs, file, m.defaults);
        const names = m.graph.outputs.map((out) => out.name);
        const outputFiles = assignOutputs(o.output, names, file);
        const env = new Map<string, number>();
        const feeds = readInputs(inputFiles, env, o.allowNonFinite === true);
        const plan = new Plan(m.graph, new Map(feeds.map((f) => [f.name, f.shape])));
        // a fed value replaces an initializer's (ONNX: an initializer of a graph input is its default)
        const leaves = new Map<string, Float32Array>(m.params.map((p) => [String(p.attrs.name), p.attrs.init as Float32Array]));
        for (const f of feeds) leaves.set(f.name, f.data);
        plan.run(leaves);
        const outputs: Outputs = Object.fromEntries(m.graph.outputs.map((out) => {
          const v = plan.value(out.node);
          return [out.name, { shape: v.shape, data: v.data.slice(0, v.shape.reduce((a, b) => a * b, 1)), dtype: out.node.dtype }];
        }));
        const doc = (outs: Outputs) => ({
          model: file,
          inputs: Object.fromEntries(feeds.map((f) => [f.name, f.shape])),
          outputs: Object.fromEntries(Object.entries(outs).map(([k, v]) => [k, jsonTensor(v)])),
        });
        await writeOutputs(outputFiles, outputs, doc);
        const written = new Set([...outputFiles.values()].flat());
        const rest = Object.fromEntries(Object.entries(outputs).filter(([k]) => !written.has(k)));
        if (Object.keys(rest).length === 0) return;
        process.stdout.write(o.json ? JSON.stringify(doc(rest)) + '\n' : formatOutputs(rest));
      }),
    );
}
