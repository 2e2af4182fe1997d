/** The optimization pipeline and the compiled forms of a model (train step, inference). */
export { optimize, runPasses, forwardPasses, graphPasses } from './pipeline.ts';
export type { PassReport, OptimizeOptions } from './pipeline.ts';
export type { Pass, PassResult, Rewrite } from './pass.ts';
export { replaceAll, mapNodes } from './rewrite.ts';
export { compileModel } from './compile.ts';
export type { CompiledModel, CompileOptions } from './compile.ts';
