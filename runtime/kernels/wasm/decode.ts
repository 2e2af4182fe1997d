/**
 * Instructions given as bytes, decoded by the opcode table and emitted through a function builder, so
 * that a fragment written as bytes (an op's SIMD rule) is checked instruction by instruction as if each
 * had been emitted by name.
 */
import { OPCODES, TYPE_CODE, type OpInfo, type ValType } from './opcodes.ts';
import { uleb } from './asm.ts';
import type { FunctionBuilder } from './builder.ts';

const byCode = new Map<string, OpInfo>([...OPCODES.values()].map((o) => [o.code.join(','), o]));
const typeOf = new Map<number, ValType>(Object.entries(TYPE_CODE).map(([t, c]) => [c, t as ValType]));

export function decodeInto(f: FunctionBuilder, bytes: readonly number[]): void {
  let p = 0;
  const leb = (signed: boolean) => {
    let v = 0, shift = 0, b;
    do {
      b = bytes[p++];
      v += (b & 0x7f) * 2 ** shift;
      shift += 7;
    } while (b & 0x80);
    return signed && b & 0x40 ? v - 2 ** shift : v;
  };
  const u = () => leb(false);
  const raw = (n: number) => Uint8Array.from(bytes.slice(p, (p += n)));
  while (p < bytes.length) {
    const b0 = bytes[p++];
    const key = b0 === 0xfc || b0 === 0xfd || b0 === 0xfe ? [b0, ...uleb(u())].join(',') : String(b0);
    const info = byCode.get(key);
    if (!info) f.fail(`byte ${p - 1}`, `no instruction has the opcode ${key}`);
    switch (info.name) {
      case 'local.get': f.get(f.localAt(u())); continue;
      case 'local.set': f.set(f.localAt(u())); continue;
      case 'local.tee': f.tee(f.localAt(u())); continue;
      case 'block': case 'loop': case 'if': {
        const t = bytes[p++];
        f.open(info.name, t === 0x40 ? null : (typeOf.get(t) ?? f.fail(info.name, `block type ${t}`)));
        continue;
      }
      case 'br': f.br(u()); continue;
      case 'br_if': f.brIf(u()); continue;
      case 'call': f.call(u()); continue;
      case 'i32.const': f.i32(leb(true)); continue;
      case 'f32.const': f.f32(new Float32Array(raw(4).buffer)[0]); continue;
      case 'f64.const': f.f64(new Float64Array(raw(8).buffer)[0]); continue;
      case 'v128.const': f.v128(raw(16)); continue;
      case 'else': f.else(); continue;
      case 'end': f.end(); continue;
      case 'drop': f.drop(); continue;
      case 'select': f.select(); continue;
      case 'return': f.return(); continue;
      case 'unreachable': f.unreachable(); continue;
    }
    if (info.special || info.imm === 'i64') f.fail(info.name, 'is not decoded from bytes here: emit it by name');
    if (info.imm === 'mem' || info.imm === 'memLane') {
      const align = u();
      if (align !== info.align) f.fail(info.name, `alignment 2^${align} is not its natural 2^${info.align}`);
    }
    const args = info.imm === 'mem' ? [u()] : info.imm === 'memLane' ? [u(), bytes[p++]] : info.imm === 'lane' ? [bytes[p++]] : info.imm === 'shuffle' ? [...raw(16)] : [];
    p += info.imm === 'mem0' ? 1 : info.imm === 'mem00' ? 2 : 0;
    f.op(info.name, ...args);
  }
}
