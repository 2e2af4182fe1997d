/** The type check in a worker thread, so that a command can load and compile the model meanwhile. */
import { workerData, type MessagePort } from 'node:worker_threads';
import { typeCheck, type TypeCheck } from './typecheck.ts';

const { abs, config, port } = workerData as { abs: string; config: string | undefined; port: MessagePort };
let result: TypeCheck;
try {
  result = typeCheck(abs, config);
} catch (e) {
  result = { errors: [], inputs: [], fatal: `the type check failed: ${e instanceof Error ? e.message : String(e)}` };
}
port.postMessage(result);
port.close();
