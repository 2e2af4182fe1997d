import { configDefaults, defineConfig } from 'vitest/config';
import { defaultClientConditions, defaultServerConditions } from 'vite';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Two tiers. `npm test` runs the fast one (IR, passes, kernels, runtime, types: in-process, seconds);
 * `npm run test:all` adds the slow one: whole CLI processes, the packed tarball, the README's commands,
 * the helper thread's many splits, and the checks against PyTorch, onnx's checker, onnxruntime and the browser.
 *
 * The fast tier's files share one process (`fast`: a new process and a fresh load of graphc's modules
 * per file cost more than most files' tests), except those that change what the process is (`fast-alone`).
 */
// the fast tier's files that need a process of their own: relaxed SIMD off, the heap turned off, and a
// fresh instance of graphc's modules (vi.resetModules: the files after them would meet a second heap and
// a helper thread bound to the first)
const alone = [
  'test/runtime/simd-elementwise.test.ts',
  'test/runtime/simd-elementwise-fused.test.ts',
  'test/runtime/no-heap.test.ts',
  'test/passes/golden.test.ts',
  'test/onnx/history.test.ts',
];

const slow = [
  'test/cli/**/*.test.ts',
  'test/seed/cli.test.ts',
  'test/train/torch.test.ts',
  'test/init.test.ts',
  'test/onnx/export.test.ts',
  'test/browser/**/*.test.ts',
  'test/**/*.slow.test.ts',
];

// the run's temporary files (tests' scratch folders, the CLI processes they start, peers' exports) in one
// folder of its own, removed when the run ends: the test processes inherit TMPDIR, which os.tmpdir() reads
// (open to every user, as the system's is: tests run graphc as another user there)
const runTmp = mkdtempSync(join(tmpdir(), 'graphc-test-'));
chmodSync(runTmp, 0o1777);
process.env.TMPDIR = runTmp;
process.on('exit', () => rmSync(runTmp, { recursive: true, force: true }));

// GRAPHC_STRICT_WASM: a WebAssembly kernel that fails to build is an error in tests, never a quiet fallback
const shared = {
  testTimeout: 120_000,
  hookTimeout: 120_000,
  env: { GRAPHC_STRICT_WASM: '1' },
};

// 'graphc' (the package importing itself, as models in graphs/ do) resolves to the TypeScript sources,
// so tests run on the sources without a build and share one instance of graphc's modules
const conditions = { resolve: { conditions: ['graphc-source', ...defaultClientConditions] }, ssr: { resolve: { conditions: ['graphc-source', ...defaultServerConditions] } } };

export default defineConfig({
  test: {
    projects: [
      {
        ...conditions,
        test: {
          ...shared,
          name: 'fast',
          include: ['test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, ...slow, ...alone],
          poolOptions: { forks: { singleFork: true, isolate: false } },
          setupFiles: ['test/support/shared-process.ts'],
        },
      },
      { ...conditions, test: { ...shared, name: 'fast-alone', include: alone } },
      { ...conditions, test: { ...shared, name: 'slow', include: slow, globalSetup: ['test/support/build.ts'] } },
    ],
  },
});
