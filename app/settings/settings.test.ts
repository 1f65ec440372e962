import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadSettings, updateSettings } from './settings';
import { configDir, current, defaultCacheDir, resolveCacheDir } from './paths';

let dir: string;
const at = () => current({ EMT_CONFIG_DIR: dir });

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'emt-settings-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('settings', () => {
  it('gives complete defaults when there is no file, and stores changes atomically as versioned JSON', async () => {
    const first = await loadSettings(at());
    expect(first.settings).toEqual({ version: 1, cacheDir: null, cacheLimitBytes: 20 * 1024 ** 3, proxy: { mode: 'system', url: '', noProxy: '' }, catalogs: [], trustedCatalogKeys: [], testTargets: [], bootChainDir: null });
    expect(first.file).toBe(join(dir, 'settings.json'));

    const key = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }).toString();
    await updateSettings({ proxy: { mode: 'manual', url: 'http://proxy.factory:3128', noProxy: '.factory' }, trustedCatalogKeys: [key], testTargets: ['/dev/loop7', '/tmp/stick.img'] }, at());
    const onDisk = JSON.parse(await readFile(join(dir, 'settings.json'), 'utf8'));
    expect(onDisk).toMatchObject({ version: 1, proxy: { mode: 'manual', url: 'http://proxy.factory:3128' }, testTargets: ['/dev/loop7', '/tmp/stick.img'] });
    expect((await readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect((await loadSettings(at())).settings.trustedCatalogKeys).toEqual([key]);
  });

  it('refuses invalid changes with E_SETTINGS_INVALID or E_CATALOG_KEY_INVALID and keeps the file as it was', async () => {
    await updateSettings({ catalogs: ['https://catalog.example/c.json'] }, at());
    const before = await readFile(join(dir, 'settings.json'), 'utf8');
    await expect(updateSettings({ proxy: { mode: 'manual', url: 'not a url', noProxy: '' } }, at())).rejects.toMatchObject({ code: 'E_SETTINGS_INVALID' });
    await expect(updateSettings({ cacheLimitBytes: -1 }, at())).rejects.toMatchObject({ code: 'E_SETTINGS_INVALID' });
    await expect(updateSettings({ trustedCatalogKeys: ['bm90IGEga2V5'] }, at())).rejects.toMatchObject({ code: 'E_CATALOG_KEY_INVALID' });
    expect(await readFile(join(dir, 'settings.json'), 'utf8')).toBe(before);
  });

  it('migrates a hand-written file without a version and writes the upgrade back', async () => {
    await writeFile(join(dir, 'settings.json'), JSON.stringify({ catalogs: ['/srv/catalog.json'], cacheLimitBytes: 5e9 }));
    const s = await loadSettings(at());
    expect(s.migratedFrom).toBe(0);
    expect(s.settings).toMatchObject({ version: 1, catalogs: ['/srv/catalog.json'], cacheLimitBytes: 5e9, testTargets: [] });
    expect(JSON.parse(await readFile(join(dir, 'settings.json'), 'utf8')).version).toBe(1);
    expect((await loadSettings(at())).migratedFrom).toBeNull();
  });

  it('refuses a file from a newer version, or one that is not JSON, naming the file', async () => {
    await writeFile(join(dir, 'settings.json'), JSON.stringify({ version: 7 }));
    await expect(loadSettings(at())).rejects.toMatchObject({ code: 'E_SETTINGS_NEWER' });
    await writeFile(join(dir, 'settings.json'), '{ "version": 1, ');
    await expect(loadSettings(at())).rejects.toMatchObject({ code: 'E_SETTINGS_INVALID', message: expect.stringContaining(join(dir, 'settings.json')) });
    await writeFile(join(dir, 'settings.json'), JSON.stringify({ version: 1, catalogs: 'x' }));
    await expect(loadSettings(at())).rejects.toMatchObject({ code: 'E_SETTINGS_INVALID', message: expect.stringContaining('"catalogs"') });
  });

  it('puts config and cache where each OS expects them', () => {
    const linux = { env: { XDG_CONFIG_HOME: '/x/conf', XDG_CACHE_HOME: 'relative/ignored' }, platform: 'linux' as const, home: '/home/tech' };
    expect(configDir(linux)).toBe('/x/conf/emt-media-builder');
    expect(defaultCacheDir(linux)).toBe('/home/tech/.cache/emt-media-builder');
    const win = { env: { APPDATA: 'C:\\Users\\t\\AppData\\Roaming', LOCALAPPDATA: 'C:\\Users\\t\\AppData\\Local' }, platform: 'win32' as const, home: 'C:\\Users\\t' };
    expect(configDir(win)).toBe('C:\\Users\\t\\AppData\\Roaming\\EMT Media Builder');
    expect(defaultCacheDir(win)).toBe('C:\\Users\\t\\AppData\\Local\\EMT Media Builder\\Cache');
    const mac = { env: {}, platform: 'darwin' as const, home: '/Users/t' };
    expect(configDir(mac)).toBe('/Users/t/Library/Application Support/EMT Media Builder');
    expect(defaultCacheDir(mac)).toBe('/Users/t/Library/Caches/EMT Media Builder');
    expect(resolveCacheDir('/data/cache', mac)).toBe('/data/cache');
    expect(resolveCacheDir('/data/cache', { ...mac, env: { EMT_CACHE_DIR: '/tmp/c' } })).toBe('/tmp/c');
    expect(configDir({ ...mac, env: { EMT_CONFIG_DIR: '/tmp/cfg' } })).toBe('/tmp/cfg');
  });

  it('creates the config folder on first save', async () => {
    const nested = join(dir, 'a', 'b');
    await mkdir(join(dir, 'a'));
    await updateSettings({ cacheDir: '/data/emt' }, current({ EMT_CONFIG_DIR: nested }));
    expect((await loadSettings(current({ EMT_CONFIG_DIR: nested }))).cacheDir).toBe('/data/emt');
  });
});
