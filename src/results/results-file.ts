import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { UsageError } from '../errors.js';
import { SCHEMA_VERSION, type RunResults } from './schema.js';

export function writeResults(path: string, results: RunResults): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify(results, null, 2) + '\n');
}

/** Reads a results file written by any rtbench of this schema version; errors are one line. */
export function readResults(path: string): RunResults {
  let data: RunResults;
  try {
    data = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(code === 'ENOENT' ? `results file ${path} does not exist` : `results file ${path} is not valid JSON`, 'pass a file written by rtbench run --out');
  }
  if (!data || typeof data !== 'object' || !('schemaVersion' in data)) throw new UsageError(`${path} is not an rtbench results file (no schemaVersion)`, 'pass a file written by rtbench run --out');
  if (data.schemaVersion !== SCHEMA_VERSION) throw new UsageError(`${path} has schemaVersion ${data.schemaVersion}; this rtbench reads ${SCHEMA_VERSION}`, 're-run with this version of rtbench');
  if (!Array.isArray(data.protocols)) throw new UsageError(`${path} has no protocols array`, 'pass a file written by rtbench run --out');
  return data;
}
