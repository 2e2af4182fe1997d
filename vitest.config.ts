import { configDefaults, defineConfig } from 'vitest/config';

/**
 * Two tiers. `npm test` runs the fast one (IR, passes, kernels, runtime, types: in-process, seconds);
 * `npm run test:all` adds the slow one: whole CLI processes, the packed tarball, the README's commands,
 * and the checks against PyTorch, onnx's checker, onnxruntime and the browser.
 */
const slow = [
  'test/cli/**/*.test.ts',
  'test/seed/cli.test.ts',
  'test/train/torch.test.ts',
  'test/init.test.ts',
  'test/onnx/export.test.ts',
  'test/browser/**/*.test.ts',
  'test/**/*.slow.test.ts',
];

// GRAPHC_STRICT_WASM: a WebAssembly kernel that fails to build is an error in tests, never a quiet fallback
const shared = { testTimeout: 120_000, hookTimeout: 120_000, env: { GRAPHC_STRICT_WASM: '1' } };

export default defineConfig({
  test: {
    projects: [
      { test: { ...shared, name: 'fast', include: ['test/**/*.test.ts'], exclude: [...configDefaults.exclude, ...slow] } },
      { test: { ...shared, name: 'slow', include: slow } },
    ],
  },
});
