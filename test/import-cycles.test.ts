import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const SRC = resolve(fileURLToPath(new URL('../../src', import.meta.url)));

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Relative imports of a file, as .ts paths; `import type` lines too (a cycle of types still ties modules). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/^\s*(?:import|export)\b[^'"]*?from\s+'(\.[^']+)'/gm))
    out.push(resolve(dirname(file), m[1].replace(/\.js$/, '.ts')));
  return out;
}

test('src has no import cycle between files', () => {
  const files = sources(SRC);
  const graph = new Map(files.map((f) => [f, importsOf(f)]));
  const state = new Map<string, 'open' | 'done'>();
  const cycles: string[] = [];
  const visit = (f: string, path: string[]) => {
    if (state.get(f) === 'done') return;
    if (state.get(f) === 'open') {
      cycles.push([...path.slice(path.indexOf(f)), f].map((p) => relative(SRC, p)).join(' → '));
      return;
    }
    state.set(f, 'open');
    for (const g of graph.get(f) ?? []) if (graph.has(g)) visit(g, [...path, f]);
    state.set(f, 'done');
  };
  for (const f of files) visit(f, []);
  assert.ok(files.length > 100, `read ${files.length} files`);
  assert.deepEqual(cycles, []);
});

/**
 * A file's folder under src/ (its first path part; files at the top are '.'): the layers of
 * DESIGN.md. A contract (src/contracts/*) is a shape two layers share, placed just below the lower
 * of them, so each contract file is its own node.
 */
function folderOf(file: string): string {
  const parts = relative(SRC, file).split('/');
  if (parts[0] === 'contracts') return parts.join('/');
  return parts.length > 1 ? parts[0] : '.';
}

test('src has no import cycle between folders (the layers only import downwards)', () => {
  const files = sources(SRC);
  // folder → folder → one import that makes the edge (to name it when a cycle appears)
  const edges = new Map<string, Map<string, string>>();
  for (const f of files) {
    for (const g of importsOf(f)) {
      const [from, to] = [folderOf(f), folderOf(g)];
      if (from === to) continue;
      if (!edges.has(from)) edges.set(from, new Map());
      if (!edges.get(from)!.has(to)) edges.get(from)!.set(to, `${relative(SRC, f)} → ${relative(SRC, g)}`);
    }
  }
  const cycles: string[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const visit = (d: string, path: string[]) => {
    if (state.get(d) === 'done') return;
    if (state.get(d) === 'open') {
      const loop = [...path.slice(path.indexOf(d)), d];
      cycles.push(
        loop
          .slice(1)
          .map((to, i) => edges.get(loop[i])!.get(to)!)
          .join(', '),
      );
      return;
    }
    state.set(d, 'open');
    for (const to of edges.get(d)?.keys() ?? []) visit(to, [...path, d]);
    state.set(d, 'done');
  };
  for (const d of edges.keys()) visit(d, []);
  assert.ok(edges.size > 8, `read ${edges.size} folders`);
  assert.deepEqual(cycles, []);
});
