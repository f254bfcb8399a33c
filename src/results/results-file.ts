import { accessSync, constants, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { UsageError } from '../errors.js';
import { SCHEMA_VERSION, type RunResults } from './schema.js';

/**
 * Checks before a run that an output file can be written (its folder is created as writing would),
 * so a typo'd or read-only path is a one-line usage error now rather than results lost at the end.
 */
export function checkWritable(path: string, flag: string): void {
  const fix = `give ${flag} a file in a folder you can write to`;
  try {
    mkdirSync(dirname(path), { recursive: true });
    accessSync(dirname(path), constants.W_OK);
  } catch (e) {
    throw new UsageError(
      `cannot write ${flag} ${path}: its folder ${dirname(path)} cannot be written ` +
        `(${(e as NodeJS.ErrnoException).code ?? 'error'})`,
      fix,
    );
  }
  let isDir = false;
  try {
    isDir = statSync(path).isDirectory();
    if (!isDir) accessSync(path, constants.W_OK);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT')
      throw new UsageError(`cannot write ${flag} ${path} (${(e as NodeJS.ErrnoException).code})`, fix);
  }
  if (isDir) throw new UsageError(`${flag} ${path} is a folder`, 'give a file name, e.g. results.json');
}

/** Writes a results file; `-` is standard output (rtbench run --out -). */
export function writeResults(path: string, results: RunResults): void {
  const json = JSON.stringify(results, null, 2) + '\n';
  if (path === '-') {
    process.stdout.write(json);
    return;
  }
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, json);
}

/** Reads a results file written by any rtbench of this schema version; errors are one line. */
export function readResults(path: string): RunResults {
  let data: RunResults;
  try {
    data = JSON.parse(readFileSync(path, 'utf8')) as RunResults;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(
      code === 'ENOENT' ? `results file ${path} does not exist` : `results file ${path} is not valid JSON`,
      'pass a file written by rtbench run --out',
    );
  }
  if (!data || typeof data !== 'object' || !('schemaVersion' in data))
    throw new UsageError(
      `${path} is not an rtbench results file (no schemaVersion)`,
      'pass a file written by rtbench run --out',
    );
  const version: unknown = data.schemaVersion;
  if (version !== SCHEMA_VERSION)
    throw new UsageError(
      `${path} has schemaVersion ${String(version)}; this rtbench reads ${SCHEMA_VERSION}`,
      're-run with this version of rtbench',
    );
  if (!Array.isArray(data.protocols))
    throw new UsageError(`${path} has no protocols array`, 'pass a file written by rtbench run --out');
  return data;
}
