/** `graphc inspect MODEL.ts|MODEL.onnx`: shows a graph as text, DOT, Mermaid or SVG. */
import type { Command } from 'commander';
import { printGraph } from '../compiler/ir/print.ts';
import { toDot, toMermaid, toSvg } from '../compiler/viz/index.ts';
import type { Graph } from '../compiler/ir/graph.ts';
import { loadAndCompile } from './compile.ts';
import { loadOnnx } from './load.ts';
import { collectOption } from './args.ts';
import { UserError } from './errors.ts';
import { writeAtomic, checkWritable } from './write.ts';

const formats: Record<string, (g: Graph) => string> = { text: (g) => printGraph(g), dot: toDot, mermaid: toMermaid, svg: toSvg };

/** Adds the `inspect` command's argument, options and action to its entry (named and described by commands.ts). */
export function registerInspect(command: Command, run: (fn: () => Promise<void>) => Promise<void>): Command {
  return command
    .argument('<model>', 'a model file (.ts) or an ONNX file (.onnx)')
    .option('--graph <which>', 'for a .ts model: forward | train (forward, gradients and update) | infer', 'train')
    .option('--format <fmt>', 'text | dot | mermaid | svg', 'text')
    .option('--no-opt', 'the graph as built, before the optimization pipeline')
    .option('--no-fuse', 'optimize, but keep the loss as written')
    .option('--option <key=value>', 'choose a model variant, e.g. loss=bce (repeatable)', collectOption, [] as string[])
    .option('-o, --out <file>', 'write to a file instead of standard output')
    .action((file: string, o: { graph: string; format: string; opt: boolean; fuse: boolean; option: string[]; out?: string }) =>
      run(async () => {
        const render = formats[o.format];
        if (!render) throw new UserError(`--format must be text, dot, mermaid or svg, got '${o.format}'`);
        if (o.out) checkWritable(o.out);
        let g: Graph;
        if (file.endsWith('.onnx')) g = (await loadOnnx(file)).graph;
        else {
          const { compiled } = await loadAndCompile(file, { option: o.option, opt: o.opt, fuse: o.fuse });
          const graphs: Record<string, Graph> = { forward: compiled.forward, train: compiled.trainStep, infer: compiled.inference };
          g = graphs[o.graph] ?? (() => { throw new UserError(`--graph must be forward, train or infer, got '${o.graph}'`); })();
        }
        const text = render(g) + '\n';
        if (o.out) await writeAtomic(o.out, text);
        else process.stdout.write(text);
      }),
    );
}
