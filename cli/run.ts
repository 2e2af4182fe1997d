/** `graphc run MODEL.onnx --input FILE.csv`: imports an ONNX model and runs it in graphc's runtime. */
import { commands } from './commands.ts';
import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { Plan } from '../runtime/plan.ts';
import { parseMatrix } from '../runtime/data.ts';
import { shapeStr } from '../compiler/ir/shape.ts';
import { checkReadable, loadOnnx } from './load.ts';
import { UserError } from './errors.ts';

export function registerRun(program: Command, run: (fn: () => Promise<void>) => Promise<void>): Command {
  return program
    .command('run')
    .description(commands.run.description)
    .argument('<model.onnx>', 'an ONNX model with one float input of shape [N, F]')
    .requiredOption('--input <file.csv>', 'one row per example; F columns (or F + 1: the last, a label, is ignored); # starts a comment')
    .option('--json', 'print one JSON document: { outputs: { name: { shape, data } } }')
    .action((file: string, o: { input: string; json?: boolean }) =>
      run(async () => {
        const m = await loadOnnx(file);
        if (m.inputs.length !== 1) throw new UserError(`${file}: graphc run feeds models with one input; this one has ${m.inputs.length}`);
        const input = m.inputs[0];
        const name = String(input.attrs.name);
        const table = parseMatrix(readFileSync(checkReadable(o.input, 'CSV input file'), 'utf8'), o.input);
        const f = input.shape[input.shape.length - 1];
        if (input.shape.length !== 2) throw new UserError(`${file}: input '${name}' has shape ${shapeStr(input.shape)}; graphc run feeds [N, F] inputs`);
        let cols = table.cols;
        if (typeof f === 'number' && cols === f + 1) cols = f; // the last column is a label
        else if (typeof f === 'number' && cols !== f) throw new UserError(`${o.input}: the model's input '${name}' has ${f} features per row, the file has ${table.cols} columns`);
        const data = new Float32Array(table.rows * cols);
        for (let r = 0; r < table.rows; r++) for (let c = 0; c < cols; c++) data[r * cols + c] = table.data[r * table.cols + c];
        const plan = new Plan(m.graph, new Map([[name, [table.rows, cols]]]));
        const leaves = new Map<string, Float32Array>([[name, data]]);
        for (const p of m.params) leaves.set(String(p.attrs.name), p.attrs.init as Float32Array);
        plan.run(leaves);
        const outputs = Object.fromEntries(m.graph.outputs.map((out) => {
          const v = plan.value(out.node);
          return [out.name, { shape: v.shape, data: Array.from(v.data) }];
        }));
        if (o.json) {
          process.stdout.write(JSON.stringify({ model: file, rows: table.rows, outputs }) + '\n');
          return;
        }
        process.stdout.write(formatOutputs(outputs));
      }),
    );
}

/**
 * Outputs as text: each output's name and shape, then one line per row (the first dimension). Rows are
 * counted from the shape, never from the buffer, so a zero-size dimension prints no values.
 */
export function formatOutputs(outputs: Record<string, { shape: readonly number[]; data: ArrayLike<number> }>): string {
  const lines: string[] = [];
  for (const [oname, v] of Object.entries(outputs)) {
    const rows = v.shape.length > 0 ? v.shape[0] : 1;
    const width = v.shape.slice(1).reduce((a, b) => a * b, 1);
    lines.push(`${oname} ${shapeStr(v.shape)}`);
    if (width > 0) for (let r = 0; r < rows; r++) lines.push(Array.from({ length: width }, (_, k) => v.data[r * width + k].toPrecision(7)).join(' '));
  }
  return lines.join('\n') + '\n';
}
