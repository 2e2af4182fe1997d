/**
 * The helper thread's job declarations: numbers distinct, arguments within the control block, the
 * handlers generated from them valid JavaScript that reads each argument from its word, and the posting
 * code generated for WebAssembly writing the arguments where the handlers read them.
 */
import { describe, expect, it } from 'vitest';
import { CONTROL, JOBS, MAX_ARGS, argIndex, emitPost, jobHandlers } from '../../runtime/kernels/jobs.ts';
import { FunctionBuilder } from '../../runtime/kernels/wasm/builder.ts';
import { module } from '../../runtime/kernels/wasm/asm.ts';

describe('helper thread jobs', () => {
  it('each job has its own number and fits the control block', () => {
    const codes = Object.values(JOBS).map((j) => j.code);
    expect(new Set(codes).size).toBe(codes.length);
    for (const j of Object.values(JOBS)) expect(j.args.length).toBeLessThanOrEqual(MAX_ARGS);
    expect(CONTROL.ARGS + MAX_ARGS).toBeLessThanOrEqual(CONTROL.STATE);
    expect(argIndex('load', 'ok')).toBe(4);
  });

  it('the handlers run each job on its arguments, read from their words', () => {
    const calls: unknown[][] = [];
    const k = new Proxy({}, { get: (_t, name) => (...args: number[]) => calls.push([name, ...args]) });
    const run = new Function('k', 'ctl', 'a', 'memory', 'loaded', 'kind', `switch (kind) {\n${jobHandlers()}\n}\nreturn 'done';`);
    const a = Int32Array.from({ length: MAX_ARGS }, (_, i) => 10 + i);
    expect(run(k, null, a, null, [], JOBS.vecmat.code)).toBe('done');
    // v0 sv m0 ldm c0 K4 nb vt mt Kt = 10 … 19
    expect(calls).toEqual([['vecmat4', 10, 11, 12, 13, 14, 15, 16, 1], ['vecmat1', 17, 11, 18, 13, 14, 19, 16, 0]]);
    expect(run(k, null, a, null, [], JOBS.exit.code)).toBeUndefined();
    const loaded: ((b: number) => void)[] = [];
    loaded[10] = (b) => calls.push(['loaded', b]);
    run(k, null, a, null, loaded, JOBS.call.code);
    expect(calls.at(-1)).toEqual(['loaded', 11]);
  });

  it('WebAssembly posts a job as the handlers read it: arguments, number, seq, state', () => {
    const f = new FunctionBuilder('post', ['i32', 'i32', 'i32']);
    const [control, slot, block] = f.params;
    const seq = f.local('i32');
    emitPost(f, control, seq, 'call', [() => f.get(slot), () => f.get(block)]);
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
    const mod = new WebAssembly.Module(module([f.func()], { shared: true, maxPages: 1 }) as Uint8Array<ArrayBuffer>);
    const post = new WebAssembly.Instance(mod, { env: { memory } }).exports.post as (c: number, s: number, b: number) => void;
    const ctl = new Int32Array(memory.buffer, 256, 64);
    ctl[CONTROL.POSTED] = 0x3fffffff; // the next seq wraps to 1
    ctl[CONTROL.NEXT] = 9;
    post(256, 7, 4096);
    expect([ctl[CONTROL.ARGS], ctl[CONTROL.ARGS + 1], ctl[CONTROL.KIND], ctl[CONTROL.NEXT]]).toEqual([7, 4096, JOBS.call.code, 0]);
    expect([ctl[CONTROL.POSTED], ctl[CONTROL.STATE], ctl[CONTROL.SEQ]]).toEqual([1, 1, 1]);
  });
});
