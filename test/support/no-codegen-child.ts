/**
 * Run by no-codegen.test.ts in a Node started with --disallow-code-generation-from-strings (as a page whose
 * content security policy forbids 'unsafe-eval'): imports graphc, trains the seed's models, draws PyTorch's
 * normal values, and prints what it got as JSON.
 */
import { readFileSync } from 'node:fs';
import { train } from '../../index.ts';
import { useNodeFileReader } from '../../runtime/node.ts';
import { TorchGenerator } from '../../compiler/init/torch-random.ts';
import toy from '../../graphs/toy.ts';
import diabetes from '../../graphs/diabetes.ts';
import { diabetesCsv } from './seed.ts';

let generates = true;
try {
  new Function('return 1');
} catch {
  generates = false;
}
useNodeFileReader();
const data = readFileSync(diabetesCsv, 'utf8');
const costs = async (p: ReturnType<typeof train>) => (await p).log.map((e) => e.cost);
console.log(JSON.stringify({
  generates,
  toy: await costs(train(toy)),
  diabetes: await costs(train(diabetes, { data })),
  diabetesBce: await costs(train(diabetes, { data, options: { loss: 'bce' } })),
  normal: [...new TorchGenerator(2).normal(4099)],
}));
