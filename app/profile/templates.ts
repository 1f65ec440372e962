import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EmtError } from '../errors';

/**
 * Our templates (assets/templates/): Caddy, Fluent Bit, units, drop-ins, the worker_id selector.
 * `{{name}}` marks a value filled in at render time; every placeholder must get a value and every
 * value must be used, so a template and its caller cannot drift apart unnoticed.
 */

const cache = new Map<string, string>();

function templatesDir(): string {
  const candidates = [
    process.env.EMT_ASSETS_DIR ? join(process.env.EMT_ASSETS_DIR, 'templates') : null,
    // From the source tree (tsx, Vitest): app/profile/ → assets/templates/.
    typeof import.meta.url === 'string' && import.meta.url.startsWith('file:') ? join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'assets', 'templates') : null,
    // From a bundle (dist/cli.cjs): dist/ → assets/templates/.
    process.argv[1] ? join(dirname(process.argv[1]), '..', 'assets', 'templates') : null,
  ];
  const found = candidates.find((c): c is string => c !== null && existsSync(c));
  if (!found) {
    throw new EmtError('E_ASSETS_MISSING', 'The templates of EMT Media Builder (assets/templates) were not found.', 'Reinstall EMT Media Builder, or set EMT_ASSETS_DIR to its assets folder.');
  }
  return found;
}

export function template(name: string, values: Record<string, string> = {}): string {
  let text = cache.get(name);
  if (text === undefined) {
    text = readFileSync(join(templatesDir(), name), 'utf8');
    cache.set(name, text);
  }
  const used = new Set<string>();
  const out = text.replace(/\{\{([a-z_]+)\}\}/g, (_m, key: string) => {
    const value = values[key];
    if (value === undefined) throw new Error(`template ${name}: no value for {{${key}}}`);
    used.add(key);
    return value;
  });
  const unused = Object.keys(values).filter((k) => !used.has(k));
  if (unused.length > 0) throw new Error(`template ${name}: values not used: ${unused.join(', ')}`);
  return out;
}
