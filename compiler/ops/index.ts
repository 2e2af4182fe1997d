/** Imports every op file once, so that the op table is complete. */
import './leaves.ts';
import './elementwise.ts';
import './compare.ts';
import './reduce.ts';
import './matmul.ts';
import './shape-ops.ts';
import './bce.ts';
import './bce-logits.ts';
import './fused.ts';
import './softmax.ts';
import './losses.ts';
import './math.ts';
import './slicing.ts';
import './batch-matmul.ts';
