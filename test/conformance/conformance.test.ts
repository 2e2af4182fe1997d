/** The ONNX node tests of every op graphc imports must pass (skipped, saying so, without the test data). */
import { describe, expect, it } from 'vitest';
import { NODE_TESTS, hasNodeTests, sayIfMissing } from '../support/missing.ts';
import { runAll } from './node-tests.ts';

sayIfMissing(`ONNX node tests (${NODE_TESTS}, Debian's libonnx-testdata)`, hasNodeTests, 'conformance.test');

describe.skipIf(!hasNodeTests)('ONNX backend node tests', () => {
  it('no test of a supported op fails, and the core ops are covered', () => {
    const outcomes = runAll(NODE_TESTS);
    const failed = outcomes.filter((o) => o.status === 'failed');
    expect(failed.map((o) => `${o.name}: ${'reason' in o ? o.reason : ''}`)).toEqual([]);
    const passed = new Set(outcomes.filter((o) => o.status === 'passed').map((o) => o.name));
    // the floor issue 17 set: at least 350 node tests pass
    expect(passed.size).toBeGreaterThanOrEqual(350);
    for (const t of ['test_reduce_sum_keepdims_example', 'test_slice_neg_steps', 'test_gather_negative_indices', 'test_concat_3d_axis_negative_1', 'test_layer_normalization_4d_axis1', 'test_matmul_4d', 'test_flatten_negative_axis1', 'test_erf', 'test_leakyrelu', 'test_split_variable_parts_2d', 'test_reflect_pad', 'test_argmax_keepdims_random_select_last_index', 'test_reduce_l2_keep_dims_random', 'test_softmax_axis_0', 'test_softmax_axis_0_expanded'])
      expect(passed.has(t), t).toBe(true);
    for (const t of ['test_add_bcast', 'test_matmul_2d', 'test_gemm_all_attributes', 'test_sigmoid', 'test_reduce_mean_keepdims_random', 'test_reduce_sum_keepdims_random', 'test_softplus', 'test_relu', 'test_transpose_default', 'test_log'])
      expect(passed.has(t), t).toBe(true);
  });
});
