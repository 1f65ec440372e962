import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ReleaseList, ReleaseListing } from '../contract/catalog';
import { EmtError } from '../errors';
import { listReleases } from '../release/catalog-list';
import { discoverBootkitBuilds } from '../release/discovery';
import { loadSettings } from '../settings/settings';
import { current } from '../settings/paths';
import { flag, formatBytes, str, strs, type Command } from './command';

/** `emt-media releases`: what can be downloaded or is cached, from which catalog, usable offline or not. */
export const releasesCommand: Command = {
  name: 'releases',
  summary: 'List Bootkit releases and OS images: catalogs, cache state, offline availability',
  usage: 'releases [--catalog URL|FILE]... [--offline] [--discover YYYYMMDD..YYYYMMDD] [--json]',
  options: {
    catalog: { type: 'string', multiple: true },
    offline: { type: 'boolean' },
    discover: { type: 'string' },
    json: { type: 'boolean' },
  },
  async run(args, io) {
    const { settings } = await loadSettings(current(io.env));
    const extraCatalogs = strs(args, 'catalog');
    const range = str(args, 'discover');
    let discovery = null;
    if (range) {
      const m = /^(\d{8})\.\.(\d{8})$/.exec(range);
      if (!m) throw new EmtError('E_USAGE', `--discover takes a date range, not "${range}".`, 'Write it as YYYYMMDD..YYYYMMDD, e.g. 20260501..20260531.');
      discovery = await discoverBootkitBuilds({ settings, env: io.env, from: m[1]!, to: m[2]!, onProgress: io.progress });
    }
    const list = await listReleases(settings, { env: io.env, cwd: io.cwd, extraCatalogs, isOffline: flag(args, 'offline') });
    // A catalog named on the command line must work: its failure is the command's failure.
    const named = extraCatalogs.map((c) => (/^https?:\/\//i.test(c) ? c : c.startsWith('file:') ? fileURLToPath(c) : resolve(io.cwd, c)));
    const failed = list.sources.find((s) => s.status !== 'ok' && named.includes(s.location));
    if (failed?.error) throw new EmtError(failed.error.code, failed.error.message, failed.error.hint);
    if (flag(args, 'json')) {
      io.out(JSON.stringify({ ok: true, ...list, ...(discovery ? { discovery } : {}) }, null, 2));
      return 0;
    }
    if (discovery) {
      io.out(`Discovery: ${discovery.found.length} build(s) found in ${discovery.probed} probes${discovery.failures.length ? `, ${discovery.failures.length} probe(s) failed (those dates are unknown)` : ''}.`);
      for (const f of discovery.found) io.out(`  ${f.id}  ${f.url}`);
      io.out('');
    }
    printList(list, io.out);
    return 0;
  },
};

function printList(list: ReleaseList, out: (l: string) => void): void {
  out('Catalogs:');
  for (const s of list.sources) {
    const trust = { 'built-in': 'built into the app', valid: `signed, verified (key ${s.keyFingerprint})`, unsigned: 'not signed', unchecked: 'signed, not checked: no trusted key set', invalid: 'BAD SIGNATURE' }[s.signature];
    const cached = s.isFromCache ? `, offline copy of ${s.fetchedAt?.slice(0, 10)}` : '';
    const status = s.status === 'ok' ? `${s.releaseCount} release(s), ${trust}${cached}` : `${s.status.toUpperCase()}: ${s.error?.code} ${s.error?.message}`;
    out(`  ${s.kind.padEnd(10)} ${s.name === s.location ? s.location : `${s.name} (${s.location})`}: ${status}`);
  }
  out('');
  out('Releases:');
  const rows = list.releases.map((r) => [r.id, r.kind === 'bootkit' ? 'Bootkit (EMT-Tink)' : `OS image ${r.release?.kind === 'os-image' ? r.release.variant.toUpperCase() : ''}`.trim(), r.release?.line ?? '', date(r), r.release?.size ? formatBytes(r.release.size) : '', state(r)]);
  const header = ['ID', 'WHAT', 'LINE', 'BUILD', 'SIZE', 'STATE'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  for (const row of [header, ...rows]) out(`  ${row.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()}`);
  const warnings = list.releases.flatMap((r) => r.warnings);
  if (warnings.length) out(`\nWarnings:\n${warnings.map((w) => `  ${w}`).join('\n')}`);
  const offline = list.releases.filter((r) => r.isAvailableOffline).length;
  out(`\n${offline} release(s) available offline.`);
}

function date(r: ReleaseListing): string {
  const d = r.release?.buildDate;
  return d ? `${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6)}` : '';
}

function state(r: ReleaseListing): string {
  const pin = r.pin ? ` pinned ${r.pin.pinnedAt.slice(0, 10)}` : '';
  if (r.cache === 'cached') return `${r.isAvailableOffline ? 'available offline' : `cached but ${r.health}`} (${r.verification})${pin}`;
  if (r.cache === 'partial') return `partial ${formatBytes(r.partialBytes ?? 0)}${pin}`;
  return `not downloaded${pin}`;
}
