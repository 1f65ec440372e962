import { createHash } from 'node:crypto';
import type { OverlayNode } from '../../../app/media/overlay';

/**
 * The Bootkit fixture's serial report (scripts/fixtures/README.md "Markers") as data, so that a
 * test can compare what each service saw at its start with what the media was meant to carry.
 */

const PREFIX = 'EMT-FIXTURE: ';
export const FIXTURE_UNITS = ['device-discovery', 'caddy', 'fluent-bit', 'tink-worker'] as const;
export type FixtureUnit = (typeof FIXTURE_UNITS)[number];

export interface UnitReport {
  user: string | null;
  /** `EMT_DROPIN` and any other `env` line: name → value. */
  env: Map<string, string>;
  /** path → what the fixture found there (`file 0644 0:0 <sha256>`, `missing`, ...). */
  files: Map<string, string>;
  /** Kernel parameter → value, `<unset>` when /proc/cmdline lacks it. */
  params: Map<string, string>;
}

export interface FixtureLog {
  /** Every fixture line in order, without the prefix. */
  lines: string[];
  /** Units in the order their `unit <name> start` lines appeared. */
  started: string[];
  units: Map<string, UnitReport>;
  /** `emt.check=` results of the final unit: path → what. */
  checks: Map<string, string>;
  /** Where `line` (without the prefix) first appears among `lines`; -1 when it does not. */
  indexOf(line: string): number;
}

export function parseFixtureLog(log: string): FixtureLog {
  const lines: string[] = [];
  for (const raw of log.split('\n')) {
    const at = raw.indexOf(PREFIX);
    if (at >= 0) lines.push(raw.slice(at + PREFIX.length).trimEnd());
  }
  const started: string[] = [];
  const units = new Map<string, UnitReport>();
  const checks = new Map<string, string>();
  const unitOf = (name: string) => {
    let r = units.get(name);
    if (!r) units.set(name, (r = { user: null, env: new Map(), files: new Map(), params: new Map() }));
    return r;
  };
  for (const line of lines) {
    const start = /^unit (\S+) start$/.exec(line);
    if (start) {
      started.push(start[1]!);
      unitOf(start[1]!);
      continue;
    }
    const check = /^check (\S+) (.+)$/.exec(line);
    if (check) {
      checks.set(check[1]!, check[2]!);
      continue;
    }
    const [unit, kind, ...rest] = line.split(' ');
    if (!(FIXTURE_UNITS as readonly string[]).includes(unit!)) continue;
    const value = rest.join(' ');
    const r = unitOf(unit!);
    if (kind === 'user') r.user = value;
    else if (kind === 'file') r.files.set(rest[0]!, rest.slice(1).join(' '));
    else if (kind === 'env' || kind === 'param') {
      const eq = value.indexOf('=');
      (kind === 'env' ? r.env : r.params).set(value.slice(0, eq), value.slice(eq + 1));
    }
  }
  return { lines, started, units, checks, indexOf: (line) => lines.indexOf(line) };
}

/**
 * What the fixture prints for a path that holds this overlay node (the `<what>` of its `file` and
 * `check` lines): files and folders are root's, as our overlay archive makes them.
 */
export function fixtureWhat(node: OverlayNode): string {
  const mode = (m: number) => m.toString(8).padStart(4, '0');
  if (node.kind === 'file') return `file ${mode(node.mode)} 0:0 ${createHash('sha256').update(node.content).digest('hex')}`;
  if (node.kind === 'dir') return `dir ${mode(node.mode)} 0:0`;
  return `symlink -> ${node.target}`;
}
