/**
 * `graphc run MODEL.onnx --input [name=]FILE ... [--output [name=]FILE ...]`: imports an ONNX model and
 * runs it in graphc's runtime on inputs read from CSV, .npy or JSON files (cli/feed.ts), printing the
 * outputs or writing them to files (cli/outputs.ts).
 */
import type { Command } from 'commander';
import type { DType } from '../compiler/ir/node.ts';
import { OnnxImportError } from '../export/import-error.ts';
import { GraphError } from '../compiler/ir/errors.ts';
import { ShapeError } from '../compiler/ir/shape.ts';
import { loadOnnxSession } from './load.ts';
import { UserError } from './errors.ts';
import { checkReadable } from './readable.ts';
import { assignInputs, readInputs } from './feed.ts';
import { assignOutputs, formatOutputs, jsonTensor, writeOutputs, type Outputs } from './outputs.ts';

export { formatOutputs };

const collect = (v: string, prev: string[]) => [...prev, v];

/** Adds the `run` command's argument, options and action to its entry (named and described by commands.ts). */
export function registerRun(command: Command, run: (fn: () => Promise<void>) => Promise<void>): Command {
  return command
    .argument('<model.onnx>', 'an ONNX model (its inputs of any rank, float32, float64 (computed in float32), integers (int64, int32, uint8, int8, uint16, int16, uint32, uint64; within 2^24) or bool)')
    .requiredOption(
      '--input <[name=]file>',
      'an input\'s values (repeatable; the bare file when the model has one input): .csv (one row per example, ' +
        'the rest of the input\'s shape row-major across the columns, one more column a label, ignored; # starts a comment), ' +
        '.npy (float32/float64, int32/int64/uint8/... for integer inputs, C order), or .json (nested arrays, or {"shape": [...], "data": [...]}); ' +
        'by the extension (any other is refused; a file without one is read as .npy or CSV by its first bytes)',
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
    .option('--explain', 'print to standard error what graphc decided: the inputs the model is specialised on (a graph input that decides a shape or a mode, such as OneHot\'s depth) and why, and the plan')
    .action((file: string, o: { input: string[]; output: string[]; json?: boolean; allowNonFinite?: boolean; explain?: boolean }) =>
      run(async () => {
        // (read as protobuf, a model's source would be "truncated or corrupted": say what it is instead)
        if (/\.(m?ts|m?js|tsx|jsx)$/.test(checkReadable(file, 'ONNX model'))) throw new UserError(`${file}: a model file, not an ONNX model: graphc run takes an .onnx file (write one with graphc compile or train --onnx, or train this one with graphc train)`);
        const session = await loadOnnxSession(file);
        const inputFiles = assignInputs(o.input, session.inputs, file, session.defaults);
        const outputFiles = assignOutputs(o.output, session.outputNames, file, [['the model file', file], ...[...inputFiles.values()].map((f) => ['an --input file', f] as const)]);
        const env = new Map<string, number>();
        const feeds = readInputs(inputFiles, env, o.allowNonFinite === true, session.float64Inputs, session.intTypes);
        let values;
        try {
          values = session.run(new Map(feeds.map((f) => [f.name, f])));
        } catch (e) {
          if (e instanceof OnnxImportError) throw new UserError(`${file}: ${e.message}`);
          // a value the model cannot take (an index out of range): said of the model it ran in
          if ((e instanceof ShapeError || e instanceof GraphError) && !e.message.startsWith(`${file}:`)) throw new UserError(`${file}: ${e.message}`, { cause: e });
          throw e;
        }
        if (o.explain) process.stderr.write(session.explain() + '\n');
        const outputs: Outputs = Object.fromEntries([...values].map(([name, v]) => [name, { shape: v.shape, data: v.data, dtype: v.dtype as DType | 'f64' }]));
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
