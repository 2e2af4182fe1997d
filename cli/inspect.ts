/** `graphc inspect MODEL.ts|MODEL.onnx`: shows a graph as text, DOT, Mermaid or SVG. */
import type { Command } from 'commander';
import { printGraph } from '../compiler/ir/print.ts';
import { toDot, toMermaid, toSvg } from '../compiler/viz/index.ts';
import type { Graph } from '../compiler/ir/graph.ts';
import { loadAndCompile } from './compile.ts';
import { checkReadable, loadOnnxSession } from './load.ts';
import { isOnnxFile, MODULE_FILE } from './model-file.ts';
import { assignInputs, readInputs } from './feed.ts';
import { OnnxImportError } from '../export/import-error.ts';
import { collectNamedInput, collectOption, refuseUnused } from './args.ts';
import { UserError } from './errors.ts';
import { writeAtomic, checkOutputs } from './write.ts';

const formats: Record<string, (g: Graph) => string> = { text: (g) => printGraph(g), dot: toDot, mermaid: toMermaid, svg: toSvg };

/** The formats by the extension of -o (`-o graph.svg` draws SVG, not text in a .svg file). */
const byExtension: Record<string, string> = { svg: 'svg', dot: 'dot', gv: 'dot', mmd: 'mermaid', txt: 'text' };

/**
 * The format an output file's name chooses: by its extension, text where it has none. Another extension
 * (`-o graph.png`) names a format inspect does not write: refused, not filled with text under that name.
 */
function formatOf(out: string | undefined): string {
  const ext = /\.([^./\\]+)$/.exec(out ?? '')?.[1].toLowerCase();
  if (ext === undefined) return 'text';
  const format = Object.hasOwn(byExtension, ext) ? byExtension[ext] : undefined;
  if (!format) throw new UserError(`-o ${out}: inspect writes SVG (.svg), DOT (.dot, .gv), Mermaid (.mmd) or text (.txt): give a file ending in one of these, or choose with --format`);
  return format;
}

/** Adds the `inspect` command's argument, options and action to its entry (named and described by commands.ts). */
export function registerInspect(command: Command, run: (fn: () => Promise<void>) => Promise<void>): Command {
  return command
    .argument('<model>', 'a model file (.ts, or .js) or an ONNX file (.onnx)')
    .option('--graph <which>', 'for a .ts model: forward | train (forward, gradients and update) | infer', 'train')
    .option('--format <fmt>', 'text | dot | mermaid | svg (default: by the extension of -o: .svg, .dot or .gv, .mmd, .txt or none for text; another needs --format)')
    .option('--no-opt', 'the graph as built, before the optimization pipeline')
    .option('--no-fuse', 'optimize, but keep the loss as written')
    .option('--option <key=value>', 'choose a model variant, e.g. loss=bce (repeatable)', collectOption, [] as string[])
    .option('-o, --out <file>', 'write to a file instead of standard output')
    .option(
      '--input <name=file>',
      'for an .onnx model whose graph input decides a shape (Reshape\'s shape, a Range\'s operands...): its value, read as graphc run reads it; the model is drawn specialised on it (repeatable)',
      collectNamedInput,
      [] as string[],
    )
    .action((file: string, o: { graph: string; format?: string; opt: boolean; fuse: boolean; option: string[]; out?: string; input: string[] }, cmd: Command) =>
      run(async () => {
        const onnx = isOnnxFile(file);
        // inspect draws an ONNX model too: say so where another file is given (the model loader names only its own)
        if (!onnx && !MODULE_FILE.test(checkReadable(file, 'model file'))) throw new UserError(`${file}: not a model file (expected .ts, .mts, .js or .mjs, or an .onnx model)`);
        for (const opt of ['--graph', '--no-opt', '--no-fuse', '--option']) refuseUnused(cmd, opt, onnx, 'applies to a .ts model: an .onnx model is drawn as imported');
        refuseUnused(cmd, '--input', !onnx, 'applies to an .onnx model whose graph input decides a shape');
        if (o.format !== undefined && !Object.hasOwn(formats, o.format)) throw new UserError(`--format must be text, dot, mermaid or svg, got '${o.format}'`);
        if (o.out) checkOutputs([['-o', o.out]], [['the model file', file], ...o.input.map((s) => ['an --input file', s.slice(s.indexOf('=') + 1)] as const)]);
        const render = formats[o.format ?? formatOf(o.out)];
        let g: Graph;
        if (onnx) g = await onnxGraph(file, o.input);
        else {
          const { compiled } = await loadAndCompile(file, { option: o.option, opt: o.opt, fuse: o.fuse }, [['-o', o.out]]);
          const graphs: Record<string, Graph> = { forward: compiled.forward, train: compiled.trainStep, infer: compiled.inference };
          g = graphs[o.graph] ?? (() => { throw new UserError(`--graph must be forward, train or infer, got '${o.graph}'`); })();
        }
        const text = render(g) + '\n';
        if (o.out) await writeAtomic(o.out, text);
        else process.stdout.write(text);
      }),
    );
}

/**
 * An ONNX model's graph: as imported, or, where a graph input decides a shape or a mode, specialised on
 * the values given for those inputs (`--input name=file`, read as `graphc run` reads them); an input with a
 * default (an initializer) that decides one may be given, else its default holds.
 */
async function onnxGraph(file: string, specs: readonly string[]): Promise<Graph> {
  const session = await loadOnnxSession(file);
  const why = (n: { attrs: { name?: unknown } }) => session.specializedOn.get(String(n.attrs.name)) ?? session.specializedOnShape.get(String(n.attrs.name));
  const decide = session.inputs.filter((n) => why(n) !== undefined);
  if (specs.length && decide.length === 0 && !session.defaults.some((n) => why(n) !== undefined)) throw new UserError(`${file}: no graph input decides a shape or a mode: draw it without --input`);
  if (decide.length && !specs.length) throw new UserError(`${file}: ${why(decide[0])}; draw it with --input ${String(decide[0].attrs.name)}=FILE`);
  const others = session.inputs.filter((n) => !decide.includes(n));
  const feeds = specs.length ? readInputs(assignInputs(specs, decide, file, [...session.defaults, ...others]), new Map(), false, session.float64Inputs, session.intTypes) : [];
  try {
    return session.model(new Map(feeds.map((f) => [f.name, f]))).graph;
  } catch (e) {
    if (e instanceof OnnxImportError) throw new UserError(`${file}: ${e.message}`);
    throw e;
  }
}
