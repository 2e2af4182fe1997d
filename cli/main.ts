/**
 * The `graphc` command line: one file per command (cli/commands.ts lists them); this file wires them to
 * the argument parser. Only the command that runs is imported, with what it needs.
 */
import { Command, Help, type Option } from 'commander';
import { version } from '../export/version.ts';
import { commandIn, commands, registerCommands } from './commands.ts';
import { clearStatus } from './status.ts';

// output piped into `head` and the like: stop quietly when the reader goes away
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});

const program = new Command('graphc')
  .description('graphc: a dataflow-graph compiler for machine learning (typed TypeScript DSL -> static graph -> autodiff -> passes -> Float32 runtime / ONNX)')
  .version(version)
  .option('--debug', 'show stack traces for errors')
  .option('--threads <n>', 'threads for large kernels: 1, or 2 (a helper thread shares large products). Default: 2 on a machine with two or more cores, 1 on one core (where --threads 2 runs on one thread too, and says so)')
  .addHelpText(
    'after',
    '\nEnvironment:\n' +
      '  GRAPHC_CACHE      the folder graphc keeps compiled models and type checks in\n' +
      '                    (default: graphc-cache-<uid> in the system\'s temporary directory)\n' +
      '  GRAPHC_QUIET      set: no status line ("checking...", "compiling...") on a\n' +
      '                    terminal (the progress bar is train\'s --no-progress)',
  )
  .showHelpAfterError('(run with --help for usage)')
  .configureOutput({ outputError: (str, write) => write(`graphc: ${str.replace(/^error: /, '')}`) });

const run = async (fn: () => Promise<void>) => {
  const { reportAndExit, UserError } = await import('./errors.ts');
  try {
    const threads = (program.opts().threads as string | undefined) ?? '2';
    if (threads !== '1' && threads !== '2') throw new UserError(`--threads must be 1 or 2, got '${threads}'`);
    const [{ useNodeHelperThread, useV8Settings, noHelperHere }, { setSourceBase }] = await Promise.all([import('../runtime/node.ts'), import('../compiler/ir/source.ts'), import('../compiler/ops/index.ts')]);
    setSourceBase(process.cwd());
    useV8Settings();
    // on one core no helper starts (it could only take turns with this thread): said where 2 was asked for
    if (threads === '2' && !useNodeHelperThread() && program.opts().threads !== undefined) process.stderr.write(`graphc: --threads 2 runs on one thread: ${noHelperHere()}\n`);
    await fn();
    clearStatus();
  } catch (e) {
    clearStatus();
    reportAndExit(e, program.opts().debug === true);
  }
};

const argv = process.argv.slice(2);
// `graphc help NAME` for a command graphc lacks: said as for `graphc NAME` (the parser shows the help alone)
if (argv[0] === 'help' && argv[1] !== undefined && !argv[1].startsWith('-') && !(argv[1] in commands)) {
  process.stderr.write(`graphc: unknown command '${argv[1]}'\n(run with --help for usage)\n`);
  process.exit(1);
}
// train and compile type-check the model: start that at once, in a worker thread, while the command
// and the compiler load (the command picks up the same check)
if (['train', 'compile'].includes(commandIn(argv) ?? '') && !argv.includes('--no-check')) {
  const model = argv.find((a) => /\.(m?ts|tsx)$/.test(a) && !a.startsWith('-'));
  if (model) void import('./check.ts').then((c) => c.startCheck(model).catch(() => undefined));
}
await registerCommands(program, run, argv);
// a repeatable option starts from an empty list, which help would show as "(default: [])": said as none
const optionDescription = function (this: Help, option: Option): string {
  const empty = Array.isArray(option.defaultValue) && option.defaultValue.length === 0;
  return Help.prototype.optionDescription.call(this, empty ? Object.assign(Object.create(option) as Option, { defaultValue: undefined }) : option);
};
// subcommands report argument errors the same way
for (const c of program.commands) c.configureOutput({ outputError: (str, write) => write(`graphc: ${str.replace(/^error: /, '')}`) }).configureHelp({ optionDescription });

await program.parseAsync(process.argv);
