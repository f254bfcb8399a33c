import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { basename, extname, join } from 'node:path';
import { parseScenarioText, SCENARIO_EXTENSIONS } from './scenario-file.js';

/** The scenarios shipped in the package's scenarios/ folder. */
export const BUNDLED_DIR = fileURLToPath(new URL('../../../scenarios/', import.meta.url));

const isScenarioFile = (f: string) => (SCENARIO_EXTENSIONS as readonly string[]).includes(extname(f).toLowerCase());

/** A path as given, else a bundled scenario by name ("chat" → scenarios/chat.json, or chat.yaml / chat.yml). */
export function resolveScenarioPath(nameOrPath: string): string {
  if (existsSync(nameOrPath)) return nameOrPath;
  const name = basename(nameOrPath);
  const candidates = isScenarioFile(name) ? [name] : SCENARIO_EXTENSIONS.map((ext) => `${name}${ext}`);
  const bundled = candidates.map((f) => join(BUNDLED_DIR, f)).find((f) => existsSync(f));
  return bundled ?? nameOrPath;
}

/** The bundled scenarios, JSON and YAML alike, by name (the file name without its extension). */
export function listBundledScenarios(): Array<{ name: string; description: string; file: string }> {
  if (!existsSync(BUNDLED_DIR)) return [];
  return readdirSync(BUNDLED_DIR)
    .filter(isScenarioFile)
    .sort()
    .map((f) => {
      let description = '';
      try {
        const parsed = parseScenarioText(readFileSync(join(BUNDLED_DIR, f), 'utf8'), f) as { description?: unknown };
        description = String(parsed.description ?? '');
      } catch {
        description = '(unreadable)';
      }
      return { name: f.slice(0, -extname(f).length), description, file: f };
    });
}
