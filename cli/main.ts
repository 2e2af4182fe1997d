/** The `graphc` command line: one file per command; this file wires them to the argument parser. */
import { Command } from 'commander';
import '../compiler/ops/index.ts';
import { setSourceBase } from '../compiler/ir/source.ts';
import { reportAndExit, UserError } from './errors.ts';
import { registerTrain } from './train.ts';
import { registerCompile } from './compile.ts';
import { registerRun } from './run.ts';
import { registerCheck } from './check.ts';
import { registerInspect } from './inspect.ts';
import { useNodeHelperThread, useV8Settings } from '../runtime/node.ts';
import { version } from '../export/version.ts';
import { clearStatus } from './status.ts';

setSourceBase(process.cwd());
// output piped into `head` and the like: stop quietly when the reader goes away
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});

const program = new Command('graphc')
  .description('graphc: a dataflow-graph compiler for machine learning (typed TypeScript DSL -> static graph -> autodiff -> passes -> Float32 runtime / ONNX)')
  .version(version)
  .option('--debug', 'show stack traces for errors')
  .option('--threads <n>', 'threads for large kernels: 1, or 2 (a helper thread; the default on a machine with two or more cores)', '2')
  .showHelpAfterError('(run with --help for usage)')
  .configureOutput({ outputError: (str, write) => write(`graphc: ${str.replace(/^error: /, '')}`) });

const run = async (fn: () => Promise<void>) => {
  try {
    const threads = program.opts().threads as string;
    if (threads !== '1' && threads !== '2') throw new UserError(`--threads must be 1 or 2, got '${threads}'`);
    useV8Settings();
    if (threads === '2') useNodeHelperThread();
    await fn();
    clearStatus();
  } catch (e) {
    clearStatus();
    reportAndExit(e, program.opts().debug === true);
  }
};

registerCompile(program, run);
registerTrain(program, run);
registerRun(program, run);
registerCheck(program, run);
registerInspect(program, run);
// subcommands report argument errors the same way
for (const c of program.commands) c.configureOutput({ outputError: (str, write) => write(`graphc: ${str.replace(/^error: /, '')}`) });

await program.parseAsync(process.argv);
