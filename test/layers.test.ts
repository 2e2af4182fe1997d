/**
 * The layers of ARCHITECTURE.md, held: every import of every source file is read (a plain scan of the
 * text, comments removed), each file is given its layer by the folders in ARCHITECTURE.md's table, and
 * an import that points up the table fails. So do a Node-only import in the core (every layer but the
 * command line), a source file no row of the table claims, and a model in graphs/ that imports anything
 * but `graphc`. The table is read from ARCHITECTURE.md itself, so the page and this test cannot disagree.
 * Within a layer too, no module may import itself back when modules load: the static imports that stay in
 * the JavaScript (all but `import type` and `export type`) form no cycle, where a module would meet
 * another's exports before they are defined.
 */
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { dirname, join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));

/** The layers, bottom first: the order ARCHITECTURE.md's table must give. */
const ORDER = ['IR', 'kernels', 'ops', 'front', 'passes', 'engine', 'export', 'api', 'cli'];
/** Where graphc's sources are (tests and benchmarks sit outside the layers). */
const SOURCES = ['compiler', 'runtime', 'export', 'cli', 'graphs', 'bin', 'index.ts'];
/** Packages the core may import: they run in a browser page as they do in Node. */
const BROWSER_SAFE = ['graphology', 'graphology-dag', 'onnx-proto'];

interface Row {
  readonly layer: string;
  readonly patterns: readonly string[];
}

/** The table under "## Layers": `| layer | folders | holds |`, folders as `code` spans. */
function layerTable(): Row[] {
  const doc = readFileSync(join(root, 'ARCHITECTURE.md'), 'utf8');
  const section = doc.split(/^## /m).find((s) => s.startsWith('Layers'));
  if (!section) throw new Error('ARCHITECTURE.md has no "## Layers" section');
  return section
    .split('\n')
    .filter((l) => l.startsWith('|') && !/^\|\s*(layer|-)/.test(l))
    .map((l) => {
      const [layer, folders] = l.split('|').slice(1).map((c) => c.trim());
      return { layer, patterns: [...folders.matchAll(/`([^`]+)`/g)].map((m) => m[1]) };
    });
}

/** How well `pattern` claims `file` (0: not at all); a file belongs to its most specific row. */
function claim(pattern: string, file: string): number {
  if (pattern.endsWith('/')) return file.startsWith(pattern) ? pattern.length : 0; // a folder and everything in it
  if (pattern.endsWith('/*.ts')) return dirname(file) + '/' === pattern.slice(0, -4) ? pattern.length : 0; // the files right in it
  return file === pattern ? 1000 : 0; // one file
}

function sourceFiles(): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    const abs = join(root, rel);
    if (statSync(abs, { throwIfNoEntry: false })?.isDirectory()) {
      for (const e of readdirSync(abs)) walk(posix.join(rel, e));
    } else if (/\.(ts|js)$/.test(rel) && !rel.endsWith('.d.ts') && statSync(abs, { throwIfNoEntry: false })) out.push(rel);
  };
  for (const s of SOURCES) walk(s);
  return out.sort();
}

/** Every module specifier a file names: static imports and re-exports, side-effect imports, import(). */
export function importsOf(text: string): string[] {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
  const specs: string[] = [];
  for (const m of code.matchAll(/\b(?:import|export)\s+(?:type\s+)?(?:[\w*${}\s,]+?\s+from\s+)?['"]([^'"]+)['"]/g)) specs.push(m[1]);
  for (const m of code.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) specs.push(m[1]);
  return specs;
}

/** The relative modules a file loads with its own loading: static imports and re-exports that are not type-only. */
export function loadedWith(text: string): string[] {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
  const specs: string[] = [];
  // (`import { type A }` stays in the JavaScript as `import {} from`, under verbatimModuleSyntax: it counts)
  for (const m of code.matchAll(/\b(?:import|export)\s+(type\s+)?(?:[\w*${}\s,]+?\s+from\s+)?['"]([^'"]+)['"]/g)) if (!m[1] && m[2].startsWith('.')) specs.push(m[2]);
  return specs;
}

/** The cycles of a graph of files (its strongly connected components of two or more, or a file importing itself), each sorted. */
export function cycles(edges: ReadonlyMap<string, readonly string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>(), low = new Map<string, number>(), stack: string[] = [], onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!edges.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const scc: string[] = [];
    for (let w = ''; w !== v; ) scc.push((w = stack.pop()!)), onStack.delete(w);
    if (scc.length > 1 || edges.get(v)!.includes(v)) found.push(scc.sort());
  };
  for (const v of edges.keys()) if (!index.has(v)) visit(v);
  return found;
}

const packageOf = (spec: string): string => (spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]);

describe('layers', () => {
  const table = layerTable();
  const rank = new Map(table.map((r, i) => [r.layer, i]));
  const layerOf = (file: string): string | undefined => {
    let best: [string, number] | undefined;
    for (const r of table) for (const p of r.patterns) {
      const c = claim(p, file);
      if (c > (best?.[1] ?? 0)) best = [r.layer, c];
    }
    return best?.[0];
  };
  const files = sourceFiles();

  it("ARCHITECTURE.md's table lists the layers in order", () => {
    expect(table.map((r) => r.layer)).toEqual(ORDER);
  });

  it('every source file belongs to a layer (models in graphs/ stand outside them)', () => {
    expect(files.filter((f) => !f.startsWith('graphs/') && !layerOf(f))).toEqual([]);
  });

  it('imports point down the table only', () => {
    const up: string[] = [];
    for (const f of files.filter((x) => !x.startsWith('graphs/'))) {
      const from = layerOf(f)!;
      for (const spec of importsOf(readFileSync(join(root, f), 'utf8'))) {
        if (!spec.startsWith('.')) continue;
        const target = posix.normalize(posix.join(posix.dirname(f), spec)).replace(/^dist\//, '').replace(/\.js$/, '.ts');
        const to = layerOf(target);
        if (to === undefined || rank.get(to)! > rank.get(from)!) up.push(`${f} (${from}) imports ${target} (${to ?? 'no layer'})`);
      }
    }
    expect(up).toEqual([]);
  });

  it('the core imports no Node-only module', () => {
    const nodeOnly: string[] = [];
    for (const f of files.filter((x) => !x.startsWith('graphs/') && layerOf(x) !== 'cli')) {
      for (const spec of importsOf(readFileSync(join(root, f), 'utf8'))) {
        if (spec.startsWith('.') || spec === 'graphc' || spec.startsWith('graphc/')) continue;
        if (isBuiltin(spec) || !BROWSER_SAFE.includes(packageOf(spec))) nodeOnly.push(`${f} (${layerOf(f)}) imports ${spec}`);
      }
    }
    expect(nodeOnly).toEqual([]);
  });

  it('no module imports itself back as modules load (type-only imports aside)', () => {
    const edges = new Map<string, string[]>();
    for (const f of files.filter((x) => !x.startsWith('graphs/') && x.endsWith('.ts')))
      edges.set(f, loadedWith(readFileSync(join(root, f), 'utf8')).map((spec) => posix.normalize(posix.join(posix.dirname(f), spec))));
    expect(edges.get('compiler/ir/node.ts')).toContain('compiler/ir/intern.ts');
    expect(cycles(edges)).toEqual([]);
  });

  it('the cycle scan finds cycles of load-time imports and not of type-only ones', () => {
    const g = (e: Record<string, string[]>) => new Map(Object.entries(e));
    expect(cycles(g({ a: ['b'], b: ['c'], c: ['a'], d: ['a'] }))).toEqual([['a', 'b', 'c']]);
    expect(cycles(g({ a: ['a'], b: [] }))).toEqual([['a']]);
    expect(cycles(g({ a: ['b'], b: [] }))).toEqual([]);
    // node.ts ↔ intern.ts as the IR writes it: intern.ts's import of node.ts is type-only
    expect(loadedWith("import type { Attrs, AttrValue } from './node.ts';")).toEqual([]);
    expect(loadedWith("import { InternTable, nodeHash } from './intern.ts';\nexport type { X } from './x.ts';")).toEqual(['./intern.ts']);
    expect(loadedWith("import { type Attrs } from './node.ts';\nimport './side.ts';\nexport * from './all.ts';\nconst l = await import('./lazy.ts');")).toEqual(['./node.ts', './side.ts', './all.ts']);
  });

  it("models in graphs/ import only 'graphc'", () => {
    const other: string[] = [];
    for (const f of files.filter((x) => x.startsWith('graphs/')))
      for (const spec of importsOf(readFileSync(join(root, f), 'utf8'))) if (spec !== 'graphc') other.push(`${f} imports ${spec}`);
    expect(other).toEqual([]);
  });

  it("the IR names none of the repository's folders (source positions are found without them)", () => {
    const folders = [...new Set(files.map((f) => f.split('/')[0]).filter((f) => !f.includes('.')))];
    const named: string[] = [];
    for (const f of files.filter((x) => layerOf(x) === 'IR')) {
      const code = readFileSync(join(root, f), 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
      for (const d of folders) if (new RegExp(`['"\`/]${d}/`).test(code)) named.push(`${f} names ${d}/`);
    }
    expect(named).toEqual([]);
  });

  it('the scan reads every form of import', () => {
    const text = [
      "import { a } from './a.ts';",
      "import type { B } from '../b.ts';",
      "export * from './c.ts';",
      "export { d } from './d.ts';",
      "import './e.ts';",
      "const f = await import('./f.ts');",
      'import {\n  g,\n  h,\n} from "./g.ts";',
      "// import { no } from './comment.ts';",
      "/* import { no } from './block.ts'; */",
      "const s = 'http://x'; import * as i from './i.ts';",
    ].join('\n');
    expect(importsOf(text)).toEqual(['./a.ts', '../b.ts', './c.ts', './d.ts', './e.ts', './g.ts', './i.ts', './f.ts']);
  });

  it('the files it reads are the sources', () => {
    expect(files.length).toBeGreaterThan(100);
    for (const f of ['compiler/ir/node.ts', 'runtime/kernels/kernel.ts', 'cli/main.ts', 'graphs/toy.ts', 'bin/graphc.js']) expect(files).toContain(f);
  });
});
