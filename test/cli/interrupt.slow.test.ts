/**
 * A signal while graphc writes an output (cli/write.ts): the temporary file is removed and graphc exits
 * 130 for SIGINT (Ctrl-C), 143 for SIGTERM, 129 for SIGHUP (the terminal closed); neither a `.tmp` file
 * nor a half-written output remains. The
 * output is a 128 MiB ONNX export, written in chunks; the signal is sent once its temporary file holds
 * some bytes (the empty probe `checkWritable` makes first is not the write).
 */
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, statSync, watch, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { root } from '../support/cli.ts';
import { scratchFolders } from '../support/scratch.ts';

// model files live inside the repo (graphs/ imports 'graphc' by its name), in a scratch folder
const { scratch } = scratchFolders();
const model = join(scratch, 'big.ts');
writeFileSync(
  model,
  `import { defineModel, input, param, zeros, sigmoid, binaryCrossEntropy } from 'graphc';
export default defineModel({
  name: 'big',
  build() {
    const x = input('x', ['N', 4096]);
    const y = input('y', ['N', 1]);
    const W = param('W', [4096, 8192], zeros());
    const V = param('V', [8192, 1], zeros());
    const h = sigmoid(x.matmul(W).matmul(V));
    return { loss: binaryCrossEntropy(h, y), predict: h };
  },
});
`,
);

interface Outcome {
  readonly interrupted: boolean;
  readonly status: number | null;
  readonly stderr: string;
  readonly left: string[];
  readonly target: string;
}

/** Exports the model to a fresh folder and sends `signal` once the temporary file has bytes in it. */
function exportAndSignal(signal: 'SIGINT' | 'SIGTERM' | 'SIGHUP'): Promise<Outcome> {
  const dir = mkdtempSync(join(tmpdir(), 'graphc-interrupt-'));
  const target = join(dir, 'big.onnx');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(root, 'bin/graphc.js'), 'compile', model, '--no-check', '--onnx', target], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    let interrupted = false;
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const watcher = watch(dir, (_event, name) => {
      if (interrupted || !name || !/^\.big\.onnx\.\d+\.tmp$/.test(name)) return;
      try {
        if (statSync(join(dir, name)).size === 0) return;
      } catch {
        return; // gone already: the empty probe, or renamed
      }
      interrupted = true;
      child.kill(signal);
    });
    child.on('error', reject);
    child.on('close', (status) => {
      watcher.close();
      resolve({ interrupted, status, stderr, left: readdirSync(dir), target });
    });
  });
}

describe('a signal during a write', () => {
  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]] as const) {
    it(`${signal}: exits ${code}, and no temporary or half file remains`, async () => {
      // the signal may come after the write is done (the file renamed): then the file is whole; try again
      let hit: Outcome | undefined;
      for (let attempt = 0; attempt < 4 && !hit; attempt++) {
        const r = await exportAndSignal(signal);
        if (r.interrupted && r.status === code) hit = r;
        else if (r.left.length) expect(statSync(r.target).size).toBeGreaterThan(128 << 20); // whole
        expect(r.left.filter((f) => f.endsWith('.tmp'))).toEqual([]);
      }
      expect(hit, 'no attempt was interrupted while writing').toBeDefined();
      expect(hit!.left).toEqual([]);
      expect(existsSync(hit!.target)).toBe(false);
      expect(hit!.stderr).not.toMatch(/\n\s+at /);
    });
  }
});
