import { join } from 'node:path';
import { CatalogSchema, type BootkitRelease, type DiscoveryResult } from '../contract/catalog';
import type { Settings } from '../contract/settings';
import { EmtError, throwIfAborted, toEmtError } from '../errors';
import type { OnProgress } from '../jobs/progress';
import { readJsonIfExists, writeJsonAtomic } from '../settings/atomic-json';
import { LAZY, openCache } from './cache';
import { DISCOVERED_CATALOG } from './catalog-load';
import { httpRequest, statusError } from './download-http';
import { proxyConfig, proxyFor, type ProxyConfig } from './download-proxy';
import type { NetworkOptions } from './download-retry';

/**
 * Finding Bootkit builds that no catalog lists yet. Intel publishes them under a naming pattern
 * (DOMAIN.md §1: `uos/[<line>/]emb_uos_x86_64_YYYYMMDD.tar.gz`, formerly `emt_uos_…`) without an
 * index, so the only way is to ask for each date of a range. A 404 is the normal answer. Builds
 * found are kept in the cache's `discovered.json` catalog, so they can be downloaded by id.
 */
export const INTEL_UOS_BASE = 'https://files-rs.edgeorchestration.intel.com/files-edge-orch/repository/microvisor/uos/';
const DEFAULT_LINES = ['', '26.06', 'next'];
const PREFIXES = ['emb_uos', 'emt_uos'];
const MAX_DAYS = 400;
/** Probes that all fail on the network before anything answered: the network is down; stop. */
const GIVE_UP_AFTER = 8;

export interface DiscoveryOptions {
  settings: Settings;
  env?: NodeJS.ProcessEnv;
  from: string;
  to: string;
  /** Release-line folders to probe; '' is the top level. */
  lines?: readonly string[];
  baseUrl?: string;
  concurrency?: number;
  signal?: AbortSignal;
  onProgress?: OnProgress;
  network?: NetworkOptions;
}

interface Candidate {
  url: string;
  line: string;
  date: string;
  prefix: string;
}

export function candidates(from: string, to: string, lines: readonly string[], baseUrl = INTEL_UOS_BASE): Candidate[] {
  const start = parseDate(from);
  const end = parseDate(to);
  if (end < start) throw new EmtError('E_USAGE', `The range ${from}..${to} ends before it starts.`, 'Give the earlier date first.');
  const days = Math.round((end - start) / 86_400_000) + 1;
  if (days > MAX_DAYS) throw new EmtError('E_DISCOVERY_RANGE', `${days} days is too long a range to probe.`, `Probe at most ${MAX_DAYS} days at a time.`);
  const out: Candidate[] = [];
  for (let t = start; t <= end; t += 86_400_000) {
    const date = new Date(t).toISOString().slice(0, 10).replace(/-/g, '');
    for (const line of lines) {
      for (const prefix of PREFIXES) out.push({ url: `${baseUrl}${line ? `${line}/` : ''}${prefix}_x86_64_${date}.tar.gz`, line, date, prefix });
    }
  }
  return out;
}

function parseDate(d: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})$/.exec(d);
  const t = m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) : NaN;
  if (!m || Number.isNaN(t) || new Date(t).getUTCDate() !== Number(m[3])) throw new EmtError('E_USAGE', `"${d}" is not a date.`, 'Write dates as YYYYMMDD, e.g. 20260526.');
  return t;
}

export async function discoverBootkitBuilds(opts: DiscoveryOptions): Promise<DiscoveryResult> {
  const list = candidates(opts.from, opts.to, opts.lines ?? DEFAULT_LINES, opts.baseUrl);
  const proxy = proxyConfig(opts.settings.proxy, opts.env ?? process.env);
  const found: BootkitRelease[] = [];
  const failures: DiscoveryResult['failures'] = [];
  let answered = 0;
  let next = 0;
  const worker = async () => {
    while (next < list.length) {
      throwIfAborted(opts.signal);
      if (answered === 0 && failures.length >= GIVE_UP_AFTER) return;
      const c = list[next++]!;
      try {
        const size = await probe(c.url, proxy, opts);
        answered++;
        if (size !== null) found.push(toRelease(c, size));
      } catch (e) {
        const err = toEmtError(e, `Probing ${c.url} failed`);
        if (err.code === 'E_CANCELLED') throw err;
        failures.push({ url: c.url, error: err.toJSON() });
      }
      opts.onProgress?.({ phase: 'discover', done: answered + failures.length, total: list.length, bytesPerSecond: null, etaSeconds: null, detail: c.url });
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, opts.concurrency ?? 4) }, worker));
  if (answered === 0 && failures.length > 0) {
    const first = failures[0]!.error;
    throw new EmtError(first.code, first.message, first.hint);
  }
  found.sort((a, b) => b.buildDate.localeCompare(a.buildDate) || a.id.localeCompare(b.id));
  if (found.length > 0) await remember(found, opts);
  return { found, probed: list.length, failures };
}

/** Size of the file at `url`, or null when it does not exist. */
async function probe(url: string, proxy: ProxyConfig, opts: DiscoveryOptions): Promise<number | null> {
  const common = { proxy, signal: opts.signal, tuning: opts.network?.tuning, ca: opts.network?.ca };
  const head = await httpRequest(url, { ...common, method: 'HEAD' });
  head.close();
  if (head.status === 200) return Number(head.headers['content-length'] ?? 0);
  if (head.status === 404 || head.status === 410 || head.status === 403) return null;
  if (head.status !== 405 && head.status !== 501) throw statusError(head.status, head.url, proxyFor(head.url, proxy));
  // A server that does not do HEAD: ask for the first byte instead.
  const get = await httpRequest(url, { ...common, headers: { range: 'bytes=0-0' } });
  get.close();
  if (get.status === 404 || get.status === 410 || get.status === 403) return null;
  if (get.status === 206) return Number(/\/(\d+)$/.exec(String(get.headers['content-range'] ?? ''))?.[1] ?? 0);
  if (get.status === 200) return Number(get.headers['content-length'] ?? 0);
  throw statusError(get.status, get.url, proxyFor(get.url, proxy));
}

function toRelease(c: Candidate, size: number): BootkitRelease {
  const id = `bootkit-${c.line ? `${c.line.toLowerCase()}-` : ''}${c.date}${c.prefix === 'emb_uos' ? '' : '-emt-uos'}`;
  return {
    kind: 'bootkit',
    id,
    name: 'Bootkit (EMT-Tink)',
    ...(c.line ? { line: c.line } : {}),
    buildDate: c.date,
    url: c.url,
    ...(size > 0 ? { size } : {}),
    notes: `Found by discovery on ${new Date().toISOString().slice(0, 10)}.`,
  };
}

/** Add the builds found to the discovered catalog (kept in the cache folder). */
async function remember(found: BootkitRelease[], opts: DiscoveryOptions): Promise<void> {
  const cache = await openCache(opts.settings, opts.env);
  const file = join(cache.catalogsDir, DISCOVERED_CATALOG);
  const old = CatalogSchema.safeParse(await readJsonIfExists(file).catch(() => null));
  const byId = new Map((old.success ? old.data.releases : []).map((r) => [r.id, r] as const));
  for (const r of found) byId.set(r.id, r);
  await writeJsonAtomic(file, { schemaVersion: 1, name: 'Discovered builds', updated: new Date().toISOString().slice(0, 10), releases: [...byId.values()] }, LAZY);
}
