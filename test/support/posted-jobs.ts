/**
 * The jobs a test's kernels post to the helper thread, recorded as they are posted (each still posted):
 * what the split-with-the-helper tests read to see which job a call handed over and with what arguments.
 */
import { readyHelper } from '../../runtime/kernels/threads.ts';
import type { HelperThread } from '../../runtime/kernels/helper-thread.ts';

/** The running helper, and the jobs posted to it from now on, in order: each its name and arguments. */
export function recordPostedJobs(): { hp: HelperThread; posted: [string, number[]][] } {
  const hp = readyHelper()!, post = hp.post.bind(hp), posted: [string, number[]][] = [];
  hp.post = (job, ...args) => (posted.push([job, args]), post(job, ...args));
  return { hp, posted };
}
