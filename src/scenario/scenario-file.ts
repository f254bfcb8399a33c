import { readFileSync } from 'node:fs';
import { UsageError } from '../errors.js';
import { RUN_OPTIONS, type RawRunOptions } from './options.js';

/** Reads a scenario JSON file; an unknown key or bad JSON is a one-line UsageError naming the fix. */
export function loadScenarioFile(path: string): RawRunOptions {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new UsageError(`cannot read scenario file ${path}`, 'check the path (rtbench scenarios lists the bundled ones)');
  }
  let data: unknown;
  try {
    // A byte-order mark (editors on Windows write one) is not JSON, but it is not the user's mistake either.
    data = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (e) {
    throw new UsageError(`scenario file ${path} is not valid JSON (${(e as Error).message})`, 'fix the JSON syntax');
  }
  if (!data || typeof data !== 'object' || Array.isArray(data)) throw new UsageError(`scenario file ${path} must hold a JSON object`, 'e.g. {"clients": 1000, "duration": "20s"}');
  const known = Object.keys(RUN_OPTIONS);
  for (const key of Object.keys(data)) {
    if (key === '$schema' || key.startsWith('//')) continue;
    if (!known.includes(key)) {
      const near = closest(key, known);
      throw new UsageError(`scenario file ${path}: unknown key "${key}"`, near ? `did you mean "${near}"?` : `known keys: ${known.join(', ')}`);
    }
  }
  return data as RawRunOptions;
}

function closest(word: string, options: string[]): string | null {
  let best: string | null = null;
  let bestD = Infinity;
  for (const o of options) {
    const d = distance(word.toLowerCase(), o.toLowerCase());
    if (d < bestD) [best, bestD] = [o, d];
  }
  return bestD <= Math.max(2, word.length / 3) ? best : null;
}

function distance(a: string, b: string): number {
  const dp = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) dp[0][j] = j;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++)
      dp[i][j] = Math.min(dp[i - 1][j] + 1, dp[i][j - 1] + 1, dp[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
  return dp[a.length][b.length];
}
