import { validateRelease } from '../release/validate-release';
import type { CacheListing, VerifyResult } from '../contract/catalog';
import { EmtError } from '../errors';
import { openCache } from '../release/cache';
import { verifyEntry } from '../release/cache-verify';
import { importRelease } from '../release/import';
import { current } from '../settings/paths';
import { loadSettings } from '../settings/settings';
import { flag, formatBytes, str, type Command, type CliIo, type ParsedArgs } from './command';

/** `emt-media cache ls|rm|verify|import`: what is cached, and keeping it sound. */
export const cacheCommand: Command = {
  name: 'cache',
  summary: 'List, remove, verify or import cached releases',
  usage: 'cache ls | rm <id>... | verify [<id>...] | import <tarball|folder|kernel> [--initramfs FILE] [--reference] [--id ID] [--name NAME]  [--json]',
  options: {
    initramfs: { type: 'string' },
    reference: { type: 'boolean' },
    id: { type: 'string' },
    name: { type: 'string' },
    json: { type: 'boolean' },
  },
  async run(args, io) {
    const [sub, ...ids] = args.positionals;
    switch (sub) {
      case 'ls':
        return ls(args, io);
      case 'rm':
        return rm(ids, args, io);
      case 'verify':
        return verify(ids, args, io);
      case 'import':
        return importCmd(ids, args, io);
      default:
        throw new EmtError('E_USAGE', sub ? `There is no "cache ${sub}".` : 'Say what to do with the cache.', `Usage: emt-media ${cacheCommand.usage}`);
    }
  },
};

async function open(io: CliIo) {
  const { settings } = await loadSettings(current(io.env));
  return { settings, cache: await openCache(settings, io.env) };
}

async function ls(args: ParsedArgs, io: CliIo): Promise<number> {
  const { cache } = await open(io);
  const listing = await cache.list();
  if (flag(args, 'json')) {
    io.out(JSON.stringify({ ok: true, ...listing }, null, 2));
    return 0;
  }
  printListing(listing, io.out);
  return 0;
}

function printListing(l: CacheListing, out: (line: string) => void): void {
  out(`Cache ${l.dir}: ${formatBytes(l.usedBytes)} used${l.limitBytes ? ` of ${formatBytes(l.limitBytes)}` : ', no limit'}`);
  if (l.entries.length === 0) out('  (no releases)');
  for (const { entry, health, bytesInCache, isInUse, pin } of l.entries) {
    const size = entry.files.reduce((n, f) => n + f.size, 0);
    const where = entry.origin.type === 'import' && entry.origin.mode === 'reference' ? ', referenced in place' : '';
    const verified = entry.verification === 'pinned' && pin ? `pinned on ${pin.pinnedAt.slice(0, 10)}` : entry.verification;
    const checked = entry.lastCheck ? `, last verify ${entry.lastCheck.at.slice(0, 10)} ${entry.lastCheck.isOk ? 'ok' : 'FAILED'}` : '';
    out(`  ${entry.id}  ${formatBytes(size)}${where}  ${verified}  ${health === 'ok' ? 'ok' : health.toUpperCase()}${checked}  last used ${entry.lastUsedAt.slice(0, 10)}${isInUse ? '  IN USE' : ''}`);
    if (bytesInCache === 0 && entry.origin.type === 'import') out(`      from ${entry.origin.path}`);
  }
  for (const p of l.partials) {
    const of = p.total ? ` of ${formatBytes(p.total)}` : '';
    out(`  partial ${p.id}: ${formatBytes(p.bytes)}${of}${p.isComplete ? ' (complete, hash refused: see emt-media download --accept-new-hash)' : ` (emt-media download ${p.id} resumes it)`}`);
  }
}

async function rm(ids: string[], args: ParsedArgs, io: CliIo): Promise<number> {
  if (ids.length === 0) throw new EmtError('E_USAGE', 'Name the releases to remove.', 'Usage: emt-media cache rm <id>...; emt-media cache ls lists them.');
  const { cache } = await open(io);
  const removed: string[] = [];
  for (const id of ids) if (await cache.remove(id)) removed.push(id);
  const missing = ids.filter((id) => !removed.includes(id));
  if (flag(args, 'json')) io.out(JSON.stringify({ ok: missing.length === 0, removed, missing }, null, 2));
  else for (const id of removed) io.out(`Removed ${id}.`);
  if (missing.length) throw new EmtError('E_CACHE_NOT_FOUND', `Not in the cache: ${missing.join(', ')}.`, 'emt-media cache ls lists what is cached.');
  return 0;
}

async function verify(ids: string[], args: ParsedArgs, io: CliIo): Promise<number> {
  const { cache } = await open(io);
  const targets = ids.length ? ids : (await cache.entries()).map((e) => e.id);
  const results: VerifyResult[] = [];
  for (const id of targets) results.push(await verifyEntry(cache, id, { onProgress: io.progress }));
  const bad = results.filter((r) => !r.isOk);
  if (flag(args, 'json') && bad.length === 0) io.out(JSON.stringify({ ok: true, results }, null, 2));
  if (!flag(args, 'json')) {
    for (const r of results) io.out(`${r.isOk ? 'ok    ' : 'FAILED'} ${r.id}${r.isOk ? '' : `: ${r.files.filter((f) => f.problem).map((f) => `${f.name} ${f.problem}`).join('; ')}`}`);
    if (results.length === 0) io.out('The cache is empty.');
  }
  if (bad.length) {
    throw new EmtError('E_CACHE_CORRUPT', `${bad.length} cached release(s) failed verification: ${bad.map((r) => r.id).join(', ')}.`, 'They will not be used. Remove them (emt-media cache rm <id>) and download or import them again.', { details: { results } });
  }
  return 0;
}

async function importCmd(paths: string[], args: ParsedArgs, io: CliIo): Promise<number> {
  if (paths.length !== 1) throw new EmtError('E_USAGE', 'Name one tarball, folder or kernel to import.', `Usage: emt-media ${cacheCommand.usage}`);
  const { settings } = await open(io);
  const { entry, evicted } = await importRelease({
    settings,
    env: io.env,
    cwd: io.cwd,
    path: paths[0]!,
    initramfs: str(args, 'initramfs'),
    mode: flag(args, 'reference') ? 'reference' : 'copy',
    id: str(args, 'id'),
    name: str(args, 'name'),
    validate: validateRelease,
    onProgress: io.progress,
  });
  if (flag(args, 'json')) {
    io.out(JSON.stringify({ ok: true, entry, evicted }, null, 2));
    return 0;
  }
  io.out(`Imported ${entry.id} (${entry.origin.type === 'import' ? entry.origin.mode : ''}):`);
  for (const f of entry.files) io.out(`  ${f.role.padEnd(9)} ${f.name}  ${formatBytes(f.size)}  sha256 ${f.sha256}`);
  return 0;
}
