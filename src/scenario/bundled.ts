import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { basename, join } from 'node:path';

/** The scenarios shipped in the package's scenarios/ folder. */
export const BUNDLED_DIR = fileURLToPath(new URL('../../../scenarios/', import.meta.url));

/** A path as given, else a bundled scenario by name ("chat" → scenarios/chat.json). */
export function resolveScenarioPath(nameOrPath: string): string {
  if (existsSync(nameOrPath)) return nameOrPath;
  const name = basename(nameOrPath);
  const bundled = join(BUNDLED_DIR, name.endsWith('.json') ? name : `${name}.json`);
  return existsSync(bundled) ? bundled : nameOrPath;
}

export function listBundledScenarios(): Array<{ name: string; description: string }> {
  if (!existsSync(BUNDLED_DIR)) return [];
  return readdirSync(BUNDLED_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => {
      let description = '';
      try {
        const parsed = JSON.parse(readFileSync(join(BUNDLED_DIR, f), 'utf8')) as { description?: unknown };
        description = String(parsed.description ?? '');
      } catch {
        description = '(unreadable)';
      }
      return { name: f.replace(/\.json$/, ''), description };
    });
}
