import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { RunResults } from '../../results/schema.js';
import { renderHtmlReport } from './render.js';

/** Renders the report and writes it, creating the folder if needed. */
export function writeHtmlReport(results: RunResults, path: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, renderHtmlReport(results));
}
