/** `graphc train MODEL.ts`: trains on the model's data (or --data) and prints the seed's log lines. */
import type { Command } from 'commander';
import type { TrainConfig } from '../compiler/dsl/model.ts';
import { divergenceText, trainCompiled, trainedModel, type Divergence, type LogEntry } from '../runtime/train.ts';
import { loadModel, loadData, loadOnnx, buildModel, modelFiles } from './load.ts';
import { isOnnxFile, MODULE_FILE } from './model-file.ts';
import type { LossKind } from '../export/trainable.ts';
import { UserError } from './errors.ts';
import type { BuiltModel } from '../compiler/dsl/model.ts';
import type { Dataset } from '../runtime/data.ts';
import type { Node } from '../compiler/ir/node.ts';
import { firstBatchRows } from '../runtime/feeds.ts';

const onnxDefaults: TrainConfig = { epochs: 100, lr: 0.1, logEvery: 10, logAccuracy: false };

/** A model to train: a DSL module, or an ONNX file with a loss attached to its output. */
async function loadTrainable(file: string, onnx: boolean, o: { data?: string; option: string[]; loss: string; onnx?: string; plot?: string; batchSize?: number; holdout?: number }): Promise<{ built: BuiltModel; train: TrainConfig; data: Dataset; source: string }> {
  if (onnx) {
    if (!['bce', 'mse', 'ce'].includes(o.loss)) throw new UserError(`--loss must be bce, mse or ce, got '${o.loss}'`);
    if (!o.data) throw new UserError(`${file}: an ONNX model has no built-in data: give --data FILE.csv`);
    const { attachLoss } = await import('../export/trainable.ts');
    // (the data read after the model, so that a file's refusal comes first, but for the shape below)
    let read: ReturnType<typeof loadData> | undefined;
    const dataRead = () => (read ??= loadData(null, o.data));
    // a model whose shapes are computed from its batch's size: specialised on the first step's batch (the
    // other shapes, on their first use: runtime/shaped.ts)
    const shapeOf = (x: Node) => {
      const row = x.shape.slice(1);
      return row.every((d): d is number => typeof d === 'number') ? [firstBatchRows(dataRead().data.rows, o), ...row] : undefined;
    };
    const imported = await loadOnnx(file, shapeOf);
    const built = attachLoss(imported, o.loss as LossKind);
    // --data gives one target a row (its last column): bce and mse train an output of one value a row
    const out = imported.graph.outputs[0];
    const perRow = out?.node.shape.slice(1).reduce<number>((a, d) => a * (typeof d === 'number' ? d : NaN), 1);
    if (out && o.loss !== 'ce' && perRow !== 1) {
      const classes = out.node.shape.length === 2 ? '; for class scores and a class index a row, give --loss ce' : '';
      throw new UserError(`${file}: output '${out.name}' [${out.node.shape.join(', ')}] has ${Number.isNaN(perRow) ? 'a symbolic number of' : perRow} values a row, and --loss ${o.loss} trains it against --data's one target a row${classes}`);
    }
    const { data, source } = dataRead();
    return { built, train: onnxDefaults, data, source };
  }
  const model = await loadModel(file);
  checkOutputs([['--onnx', o.onnx], ['--plot', o.plot]], modelFiles(model));
  const built = buildModel(model, file, parseOptions(o.option));
  const { data, source } = loadData(model, o.data);
  return { built, train: model.train, data, source };
}
import { collectOption, fraction, nonNegativeInt, oneOf, parseOptions, positiveInt, learningRate, refuseUnused } from './args.ts';
import { checkOutputs, writeAtomic } from './write.ts';
import { checkReadable } from './readable.ts';
import { CheckGate, startCheck } from './check.ts';
import { clearStatus, status } from './status.ts';
import { progress } from './progress.ts';
import type { Curve } from '../compiler/viz/plot.ts';
import { compileModel } from '../compiler/passes/compile.ts';
import { formatSplitChoices } from '../runtime/report.ts';
import { splitChoices } from '../runtime/kernels/split.ts';
import { helperDeclined, helperSpawner } from '../runtime/kernels/threads.ts';

/** The one line for a training that diverged: where, what was not written, and what may help. */
function diverged(d: Divergence, cfg: TrainConfig, o: { fuse: boolean; onnx?: string; plot?: string }): string {
  const hints: string[] = [];
  if (!d.initial) hints.push(`a smaller --lr than ${cfg.lr}`);
  if (!o.fuse) hints.push('without --no-fuse (which keeps the loss as written; fused, it is the stable form: compile --explain shows where)');
  // the cost is computed on logged epochs only: the first non-finite one may be earlier
  if (d.lastFinite !== undefined && d.epoch - d.lastFinite > 1 && !o.plot) hints.push('--log-every 1 to find the first epoch');
  const files = [o.onnx, o.plot].filter((f): f is string => f !== undefined);
  return `training diverged: ${divergenceText(d)}${files.length ? `; ${files.join(' and ')} not written` : ''}${hints.length ? `; try ${hints.join(', or ')}` : ''}`;
}

/** Adds the `train` command's argument, options and action to its entry (named and described by commands.ts). */
export function registerTrain(command: Command, run: (fn: () => Promise<void>) => Promise<void>): void {
  command
    .argument('<model>', 'model file (.ts, or .js) that default-exports defineModel({...}), or an ONNX model (.onnx; see --loss)')
    .option('--data <file>', 'CSV data: all columns but the last are x (filling x of any rank row-major), the last is y; # starts a comment (default: the model\'s built-in data)')
    .option('--epochs <n>', 'train epochs 0..n (n + 1 steps) (default: the model\'s, or 100)', nonNegativeInt)
    .option('--lr <x>', 'learning rate (default: the model\'s, or 0.1)', learningRate)
    .option('--log-every <k>', 'log every k epochs (default: the model\'s, or 10)', positiveInt)
    .option('--batch-size <n>', 'minibatch size (default: the model\'s, or the whole data set)', positiveInt)
    .option('--shuffle', 'visit the examples in a new order each epoch (DataLoader(shuffle=True)\'s order after the model\'s seed) (default: the model\'s, or not)')
    .option('--no-shuffle', 'visit the examples in order each epoch, where the model shuffles (DataLoader(shuffle=False)\'s order)')
    .option('--holdout <fraction>', 'hold out the last fraction of the rows and log the accuracy on them', fraction)
    .option('--option <key=value>', 'choose a model variant, e.g. loss=bce (repeatable)', collectOption, [] as string[])
    .option('--json', 'print one JSON document: config, log, params, accuracy')
    .option('--onnx <out.onnx>', 'after training, write the inference graph with the trained parameters as ONNX (not where training diverges)')
    .option('--no-check', 'skip type-checking the model file first')
    .option('--no-opt', 'run the train step as built, without the optimization pipeline')
    .option('--no-fuse', 'keep the loss as written: no sigmoid + BCE fusion (behaves as PyTorch\'s unfused BCE: on large logits its cost is NaN, and training diverges)')
    .option('--plot <file.svg>', 'draw the cost curve (and the accuracy, where there is one) as SVG, in a file named .svg')
    .option('--no-progress', 'no progress bar on a terminal')
    .option('--explain', 'after training, say which large kernels split their work with the helper thread and which ran on one thread (each measures which is faster)')
    .option('--loss <kind>', 'for an .onnx model: the loss attached to its output: bce (binary cross-entropy of probabilities, y its shape), mse (y its shape), or ce (cross-entropy of class scores [N, C] against class indices y, as torch.nn.CrossEntropyLoss)', oneOf('bce', 'mse', 'ce'), 'bce')
    .addHelpText('after', '\nA cost that is not finite (NaN or Infinity) stops training: graphc train then says at which\nepoch, writes no --onnx or --plot file and no --json document, and exits 1.')
    .action((file: string, o: { data?: string; epochs?: number; lr?: number; logEvery?: number; batchSize?: number; shuffle?: boolean; holdout?: number; option: string[]; json?: boolean; opt: boolean; fuse: boolean; onnx?: string; loss: string; check: boolean; plot?: string; progress: boolean; explain?: boolean }, cmd: Command) =>
      run(async () => {
        const onnx = isOnnxFile(file);
        refuseUnused(cmd, '--loss', !onnx, `applies to an .onnx model: ${file} defines its own loss (choose a variant with --option)`);
        refuseUnused(cmd, '--option', onnx, `applies to a .ts model's variants: ${file} has none (choose its loss with --loss)`);
        // train takes an ONNX model too: say so where another file is given (the model loaders name only theirs)
        if (!onnx && !MODULE_FILE.test(checkReadable(file, 'model file'))) throw new UserError(`${file}: not a model file (expected .ts, .mts, .js or .mjs, or an .onnx model)`);
        const check = o.check && !onnx ? startCheck(file) : null;
        checkOutputs([['--onnx', o.onnx], ['--plot', o.plot]], [['the model file', file], ['the --data file', o.data]]);
        // the plot is SVG only: a .png (or any other name) would hold SVG that its viewers refuse
        if (o.plot !== undefined && !/\.svg$/i.test(o.plot)) throw new UserError(`--plot writes SVG: give a file ending in .svg (got ${o.plot})`);
        // the model loads, compiles and trains while the check runs; its errors come before any output
        const gate = new CheckGate(check, file);
        const { built, cfg, data, source, compiled } = await gate.during(async () => {
          const { built, train, data, source } = await loadTrainable(file, onnx, o);
          const cfg: TrainConfig = {
            ...train,
            ...(o.epochs !== undefined && { epochs: o.epochs }),
            ...(o.lr !== undefined && { lr: o.lr }),
            ...(o.logEvery !== undefined && { logEvery: o.logEvery }),
            ...(o.batchSize !== undefined && { batchSize: o.batchSize }),
            ...(o.shuffle !== undefined && { shuffle: o.shuffle }),
            ...(o.holdout !== undefined && { holdout: o.holdout }),
          };
          status(`compiling ${built.name}…`);
          const compiled = compileModel(built, { lr: cfg.lr, optimizer: cfg.optimizer, optimize: o.opt, fuse: o.fuse });
          return { built, cfg, data, source, compiled };
        });
        clearStatus();
        const line = (e: LogEntry) =>
          `Epoch ${String(e.epoch).padStart(4)}/${cfg.epochs} Cost: ${e.cost.toFixed(6)}` + (e.accuracy !== undefined ? ` Accuracy ${(e.accuracy * 100).toFixed(2)}%` : '') +
          (e.valAccuracy !== undefined ? ` Held-out accuracy ${(e.valAccuracy * 100).toFixed(2)}%` : '');
        const bar = progress(cfg.epochs, o.progress && !o.json);
        const costs: [number, number][] = [];
        let res;
        try {
          // the same path as the package's train(): its result is the --json document
          res = await gate.during(async () =>
            trainCompiled(built, compiled, cfg, data, source, {
              // the plot draws every epoch's cost; otherwise only logged epochs compute it
              costEveryEpoch: o.plot !== undefined,
              onLog: (e) => (o.json ? gate.poll() : gate.print(() => bar.log(line(e)))),
              onEpoch: (epoch, cost) => {
                if (o.plot) costs.push([epoch, cost]);
                gate.poll();
                bar.update(epoch, cost);
              },
            }),
          );
          await gate.settle();
        } finally {
          bar.stop();
        }
        // a diverged training's parameters are no trained model's: nothing is written, and it fails
        if (res.diverged) throw new UserError(diverged(res.diverged, cfg, o));
        if (o.plot) {
          const acc = res.log.filter((e) => e.accuracy !== undefined).map((e) => [e.epoch, e.accuracy!] as [number, number]);
          const curves: Curve[] = [{ label: 'cost', color: '#2563eb', points: costs }];
          if (acc.length) curves.push({ label: 'accuracy', color: '#16a34a', points: acc, range: [0, 1] });
          const { plotSvg } = await import('../compiler/viz/plot.ts');
          await writeAtomic(o.plot, plotSvg(`${built.name}: training (lr ${cfg.lr})`, curves));
        }
        const wrote: string[] = [];
        if (o.plot) wrote.push(`wrote ${o.plot} (the cost curve, SVG)`);
        if (o.onnx) {
          const [{ exportModel }, { OPSET }] = await Promise.all([import('../export/model.ts'), import('../export/export.ts')]);
          await writeAtomic(o.onnx, exportModel(compiled, 'inference', trainedModel(res).params.values));
          wrote.push(`wrote ${o.onnx} (inference with the trained parameters, ONNX opset ${OPSET})`);
        }
        if (o.json) {
          process.stdout.write(JSON.stringify(res, null, 2) + '\n');
        } else if (res.accuracy !== undefined && !cfg.logAccuracy) {
          process.stdout.write(`Accuracy of the trained model on the training set: ${(res.accuracy * 100).toFixed(2)}%\n`);
        }
        // what was written, as compile says it (on stderr with --json, whose stdout is one JSON document)
        const said = o.json ? process.stderr : process.stdout;
        for (const w of wrote) said.write(w + '\n');
        if (o.explain) said.write(formatSplitChoices(splitChoices(), helperSpawner() !== null, helperDeclined()) + '\n');
      }),
    );
}
