import { validateRelease } from '../release/validate-release';
import type { DownloadResult } from '../contract/catalog';
import { download } from '../release/download';
import { openCache } from '../release/cache';
import { readPin } from '../release/cache-pins';
import { loadSettings } from '../settings/settings';
import { current } from '../settings/paths';
import { flag, formatBytes, strs, type Command } from './command';
import { EmtError } from '../errors';

/** `emt-media download <id>`: into the cache, resumable (Ctrl-C keeps what arrived), verified. */
export const downloadCommand: Command = {
  name: 'download',
  summary: 'Download a release into the cache (resumes, verifies, pins Bootkit hashes)',
  usage: 'download <id> [--catalog URL|FILE]... [--accept-new-hash] [--refresh] [--json]',
  options: {
    catalog: { type: 'string', multiple: true },
    'accept-new-hash': { type: 'boolean' },
    refresh: { type: 'boolean' },
    json: { type: 'boolean' },
  },
  async run(args, io) {
    const [id, ...more] = args.positionals;
    if (!id || more.length) throw new EmtError('E_USAGE', 'Name exactly one release id.', `Usage: emt-media ${downloadCommand.usage}; emt-media releases lists the ids.`);
    const { settings } = await loadSettings(current(io.env));
    const ac = new AbortController();
    const onInterrupt = () => ac.abort();
    process.once('SIGINT', onInterrupt);
    let result: DownloadResult;
    try {
      result = await download(id, {
        settings,
        env: io.env,
        cwd: io.cwd,
        extraCatalogs: strs(args, 'catalog'),
        acceptNewHash: flag(args, 'accept-new-hash'),
        refresh: flag(args, 'refresh'),
        validate: validateRelease,
        onProgress: io.progress,
        signal: ac.signal,
      });
    } finally {
      process.off('SIGINT', onInterrupt);
    }
    const cache = await openCache(settings, io.env);
    const main = result.entry.files[0]!;
    const path = cache.filePath(result.entry, main);
    if (flag(args, 'json')) {
      io.out(JSON.stringify({ ok: true, ...result, path }, null, 2));
      return 0;
    }
    const how = result.wasCached ? 'Already in the cache' : `Downloaded${result.resumedFrom ? ` (resumed at ${formatBytes(result.resumedFrom)})` : ''}`;
    io.out(`${how}: ${id}, ${formatBytes(main.size)}`);
    io.out(`  file    ${path}`);
    io.out(`  sha256  ${main.sha256}`);
    const pin = result.entry.origin.type === 'download' ? await readPin(cache.pinsDir, id, result.entry.origin.url) : null;
    io.out(`  check   ${describeVerification(result, pin?.pinnedAt)}`);
    if (result.evicted.length) io.out(`  evicted to stay under the cache limit: ${result.evicted.join(', ')}`);
    return 0;
  },
};

function describeVerification(r: DownloadResult, pinnedAt: string | undefined): string {
  switch (r.entry.verification) {
    case 'catalog':
      return 'matches the sha256 in the catalog';
    case 'published':
      return 'matches the sha256 published beside it on the server';
    case 'imported':
      return 'imported from local files; hash recorded then';
    case 'pinned':
      return r.isNewPin
        ? 'PINNED NOW (trust on first use): Intel publishes no checksum for Bootkit tarballs. Compare this sha256 with a trusted source; later downloads must match it.'
        : `matches the hash pinned on ${(pinnedAt ?? r.entry.addedAt).slice(0, 10)}`;
  }
}
