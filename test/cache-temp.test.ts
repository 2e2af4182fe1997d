/**
 * Temporary files in graphc's cache folder (cli/cache.ts): a write leaves none of its own; a temporary
 * file that no write will finish (its process has ended, or it is over an hour old) is removed by the
 * next write in its folder; one a running process may still be writing is left to it.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeWhole, writeWholeAsync } from '../cli/cache.ts';

/** The id of a process that has ended (a child run to its end). */
const endedPid = (): number => spawnSync(process.execPath, ['-e', '']).pid!;

function folder(): string {
  const dir = mkdtempSync(join(tmpdir(), 'graphc-cache-temp-'));
  writeFileSync(join(dir, 'kept.json'), '{}');
  return dir;
}

describe('temporary files in the cache folder', () => {
  for (const [how, write] of [['synchronous', writeWhole], ['guarded', writeWholeAsync]] as const) {
    it(`${how} writes: whole, none of their own left, an ended process's removed`, async () => {
      const dir = folder();
      const ended = endedPid();
      writeFileSync(join(dir, `.a.json.${ended}.tmp`), 'half');
      writeFileSync(join(dir, `a.json.${ended}.tmp`), 'half'); // the older naming
      await write(join(dir, 'a.json'), '{"whole":true}');
      expect(readFileSync(join(dir, 'a.json'), 'utf8')).toBe('{"whole":true}');
      expect(readdirSync(dir).sort()).toEqual(['a.json', 'kept.json']);
    });
  }

  it("a running process's recent temporary file is left to it; an hour-old one is removed", () => {
    const dir = folder();
    const live = join(dir, `.b.bin.${process.ppid}.tmp`);
    writeFileSync(live, 'being written');
    writeWhole(join(dir, 'c.json'), '1');
    expect(readdirSync(dir)).toContain(`.b.bin.${process.ppid}.tmp`);
    const old = (Date.now() - 2 * 60 * 60 * 1000) / 1000;
    utimesSync(live, old, old);
    writeWhole(join(dir, 'c.json'), '2');
    expect(readdirSync(dir).sort()).toEqual(['c.json', 'kept.json']);
  });
});
