/**
 * The commands graphc has, and where each is defined. `graphc --help` needs only this table; a command's
 * module (and the compiler, runtime or exporter it uses) is imported only when that command runs, so the
 * command line starts in the time Node takes plus commander.
 */
import type { Command } from 'commander';

export type Runner = (fn: () => Promise<void>) => Promise<void>;
/** Adds a command's argument, options and action to the entry `registerCommands` made for it. */
type Register = (command: Command, run: Runner) => unknown;

export interface CommandInfo {
  readonly description: string;
  /** The positional argument as help shows it. */
  readonly argument: string;
  readonly load: () => Promise<Register>;
}

export const commands: Record<string, CommandInfo> = {
  compile: {
    description: 'build and optimize a model\'s graphs; print them, explain the passes, or export ONNX',
    argument: '<model>',
    load: async () => (await import('./compile.ts')).registerCompile,
  },
  train: {
    description: 'train a model and print its cost table (the seed\'s format), or JSON with --json',
    argument: '<model>',
    load: async () => (await import('./train.ts')).registerTrain,
  },
  run: {
    description: 'run an ONNX model in graphc\'s Float32 runtime on inputs from CSV, .npy or JSON files',
    argument: '<model.onnx>',
    load: async () => (await import('./run.ts')).registerRun,
  },
  check: {
    description: 'type-check a model file (shapes included) and print TypeScript\'s diagnostics as file:line:col: message',
    argument: '<model>',
    load: async () => (await import('./check.ts')).registerCheck,
  },
  inspect: {
    description: 'show a model\'s graph: text, or a picture as DOT, Mermaid or SVG (fused nodes marked)',
    argument: '<model>',
    load: async () => (await import('./inspect.ts')).registerInspect,
  },
};

/** The command named on the command line (after graphc's own options), if any. */
export function commandIn(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--threads') i++;
    else if (a === 'help') return argv.slice(i + 1).find((x) => !x.startsWith('-')) ?? a;
    else if (!a.startsWith('-')) return a;
  }
  return undefined;
}

/**
 * Registers every command: fully (options, action) the one that runs, by its name and description only
 * the others, which is all help and "unknown command" need.
 */
export async function registerCommands(program: Command, run: Runner, argv: readonly string[]): Promise<void> {
  const named = commandIn(argv);
  for (const [name, info] of Object.entries(commands)) {
    const command = program.command(name).description(info.description);
    if (name === named) await (await info.load())(command, run);
    else command.argument(info.argument);
  }
}
