/** graphc's Float32 runtime. */
import '../compiler/ops/index.ts';

export { Plan } from './plan.ts';
export type { TensorValue } from './plan.ts';
export { Executable, ParamStore } from './executable.ts';
export { Trainer } from './trainer.ts';
export { parseCsv, inlineData, DataError } from './data.ts';
export type { Dataset } from './data.ts';
