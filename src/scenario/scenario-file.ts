import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { UsageError } from '../errors.js';
import { scenarioKeys, type RawRunOptions } from './option-table.js';

const VARIABLE = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/**
 * `${NAME}` and `${NAME:-default}` in a scenario's string values come from the environment (as in
 * k6 and Artillery configs), so one file serves several targets and secrets stay out of it. A
 * variable that is not set and has no default is a usage error naming it.
 */
export function substituteEnv<T>(value: T, path: string, env: NodeJS.ProcessEnv): T {
  if (typeof value === 'string') {
    return value.replace(VARIABLE, (_m, name: string, fallback: string | undefined) => {
      const v = env[name];
      if (v !== undefined && v !== '') return v;
      if (fallback !== undefined) return fallback;
      throw new UsageError(
        `scenario file ${path} uses \${${name}}, which is not set`,
        `set it (${name}=… rtbench run …) or give a default: \${${name}:-value}`,
      );
    }) as T;
  }
  if (Array.isArray(value)) return value.map((v: unknown) => substituteEnv(v, path, env)) as T;
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, substituteEnv(v, path, env)]),
    ) as T;
  }
  return value;
}

/** Scenario files rtbench reads, by extension: YAML for the k6/Artillery habit, JSON otherwise. */
export const SCENARIO_EXTENSIONS = ['.json', '.yaml', '.yml'] as const;

/** Whether a scenario file is YAML (by its extension; anything else is read as JSON). */
export function isYamlScenario(path: string): boolean {
  return /\.ya?ml$/i.test(path);
}

/**
 * The object a scenario file's text holds, JSON or YAML by the path's extension. A syntax error is
 * a one-line UsageError with its line and column (YAML's own message keeps only its first line).
 */
export function parseScenarioText(text: string, path: string): unknown {
  // A byte-order mark (editors on Windows write one) is not JSON, but it is not the user's mistake either.
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (isYamlScenario(path)) {
    try {
      // YAML 1.2 core schema: `on`, `yes` and dates stay strings, duplicate keys are errors.
      return parseYaml(body) as unknown;
    } catch (e) {
      const first = (e as Error).message.split('\n')[0].replace(/:$/, '');
      throw new UsageError(`scenario file ${path} is not valid YAML: ${first}`, 'fix the YAML syntax at that line');
    }
  }
  try {
    return JSON.parse(body) as unknown;
  } catch (e) {
    throw new UsageError(
      `scenario file ${path} is not valid JSON (${withLine((e as Error).message, body)})`,
      'fix the JSON syntax',
    );
  }
}

/** JSON.parse names a character offset; people look for a line. */
function withLine(message: string, text: string): string {
  const m = message.match(/at position (\d+)/);
  if (!m) return message;
  const before = text.slice(0, Number(m[1]));
  const line = before.split('\n').length;
  const column = before.length - before.lastIndexOf('\n');
  return `${message.replace(/\s*\(line \d+ column \d+\)/, '')} (line ${line}, column ${column})`;
}

/**
 * Reads a scenario file (JSON, or YAML for .yaml/.yml, with the same keys); an unknown key or bad
 * syntax is a one-line UsageError naming the fix.
 */
export function loadScenarioFile(path: string, env: NodeJS.ProcessEnv = process.env): RawRunOptions {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new UsageError(
      `cannot read scenario file ${path}`,
      'check the path (rtbench scenarios lists the bundled ones)',
    );
  }
  const data = parseScenarioText(text, path);
  if (!data || typeof data !== 'object' || Array.isArray(data))
    throw new UsageError(
      `scenario file ${path} must hold an object of options`,
      isYamlScenario(path)
        ? 'e.g. clients: 1000 and duration: 20s, one per line'
        : 'e.g. {"clients": 1000, "duration": "20s"}',
    );
  const known = scenarioKeys();
  for (const key of Object.keys(data)) {
    if (key === '$schema' || key.startsWith('//')) continue;
    if (!known.includes(key)) {
      const near = closest(key, known);
      throw new UsageError(
        `scenario file ${path}: unknown key "${key}"`,
        near ? `did you mean "${near}"?` : `known keys: ${known.join(', ')}`,
      );
    }
  }
  return substituteEnv(data as RawRunOptions, path, env);
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
  const dp = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) dp[0][j] = j;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++)
      dp[i][j] = Math.min(dp[i - 1][j] + 1, dp[i][j - 1] + 1, dp[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
  return dp[a.length][b.length];
}
