import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { mainWindowOptions, secureWebPreferences } from './window-options';
import { denyAllPermissions, lockDownContents, type WebContentsLike } from './navigation';
import { isAllowedExternalUrl, openExternalSafely } from './external-links';
import { resolveAppFile, serveAppRequest } from './app-protocol';
import { CONTENT_SECURITY_POLICY } from './csp';
import { APP_ENTRY } from './app-origin';

describe('window web preferences', () => {
  it('keeps every renderer locked: isolation, sandbox, no Node, no webview, web security on', () => {
    const prefs = secureWebPreferences('/app/preload.cjs');
    expect(prefs).toMatchObject({
      preload: '/app/preload.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      devTools: false,
    });
    expect(prefs).not.toHaveProperty('enableBlinkFeatures');
  });

  it('builds the main window with those preferences and a background that matches the OS theme', () => {
    const dark = mainWindowOptions({ preloadPath: '/p.cjs', isDark: true, canOpenDevTools: true });
    expect(dark.webPreferences.sandbox).toBe(true);
    expect(dark.webPreferences.devTools).toBe(true);
    expect(dark.show).toBe(false);
    expect(dark.backgroundColor).not.toBe(mainWindowOptions({ preloadPath: '/p.cjs', isDark: false, canOpenDevTools: false }).backgroundColor);
  });
});

/** A fake WebContents (no Electron binary here): records the listeners the lockdown installs. */
function fakeContents() {
  const listeners = new Map<string, (event: { preventDefault(): void }, url: string) => void>();
  let openHandler: ((d: { url: string }) => { action: 'deny' }) | undefined;
  const contents: WebContentsLike = {
    on: (name: string, l: (event: { preventDefault(): void }, url: string) => void) => listeners.set(name, l),
    setWindowOpenHandler: (h) => {
      openHandler = h;
    },
  } as WebContentsLike;
  const fire = (name: string, url = '') => {
    const prevent = vi.fn();
    listeners.get(name)!({ preventDefault: prevent }, url);
    return prevent.mock.calls.length > 0;
  };
  return { contents, fire, open: (url: string) => openHandler!({ url }) };
}

describe('navigation lockdown on a fake WebContents', () => {
  it('lets the app navigate inside its own origin only', () => {
    const opened: string[] = [];
    const f = fakeContents();
    lockDownContents(f.contents, (u) => opened.push(u));
    expect(f.fire('will-navigate', APP_ENTRY)).toBe(false);
    expect(f.fire('will-navigate', 'https://github.com/open-edge-platform')).toBe(true);
    expect(f.fire('will-navigate', 'app://emt.evil/index.html')).toBe(true);
    expect(f.fire('will-redirect', 'http://example.com/')).toBe(true);
    expect(f.fire('will-attach-webview')).toBe(true);
    expect(opened).toEqual(['https://github.com/open-edge-platform', 'app://emt.evil/index.html', 'http://example.com/']);
  });

  it('denies every new window and hands the URL to the external-link check', () => {
    const opened: string[] = [];
    const f = fakeContents();
    lockDownContents(f.contents, (u) => opened.push(u));
    expect(f.open('https://github.com/x')).toEqual({ action: 'deny' });
    expect(opened).toEqual(['https://github.com/x']);
  });

  it('denies every permission request and check on a fake session', () => {
    let request: ((c: unknown, p: string, cb: (g: boolean) => void) => void) | undefined;
    let check: (() => boolean) | undefined;
    denyAllPermissions({ setPermissionRequestHandler: (h) => (request = h), setPermissionCheckHandler: (h) => (check = h) });
    const cb = vi.fn();
    request!(null, 'media', cb);
    expect(cb).toHaveBeenCalledWith(false);
    expect(check!()).toBe(false);
  });
});

describe('external links', () => {
  it.each([
    ['https://github.com/open-edge-platform/edge-microvisor-toolkit', true],
    ['https://docs.openedgeplatform.intel.com/', true],
    ['http://github.com/', false],
    ['https://github.com.attacker.example/', false],
    ['https://evil.example/?u=https://github.com', false],
    ['https://user:pw@github.com/', false],
    ['https://github.com:8443/', false],
    ['file:///etc/passwd', false],
    ['javascript:alert(1)', false],
    ['not a url', false],
  ])('%s allowed: %s', (url, allowed) => {
    expect(isAllowedExternalUrl(url)).toBe(allowed);
  });

  it('opens allowed links through the shell and logs blocked ones', async () => {
    const shell = { openExternal: vi.fn(async () => {}) };
    const log = { warn: vi.fn() };
    expect(await openExternalSafely(shell, 'https://github.com/', log)).toBe(true);
    expect(await openExternalSafely(shell, 'smb://share/x', log)).toBe(false);
    expect(shell.openExternal).toHaveBeenCalledTimes(1);
    expect(log.warn).toHaveBeenCalledWith('external link blocked', { url: 'smb://share/x' });
  });
});

describe('app:// protocol', () => {
  const root = mkdtempSync(join(tmpdir(), 'emt-proto-'));
  mkdirSync(join(root, 'assets'));
  writeFileSync(join(root, 'index.html'), '<!doctype html><title>x</title>');
  writeFileSync(join(root, 'assets', 'a.js'), 'console.log(1)');
  writeFileSync(join(tmpdir(), 'emt-proto-secret.js'), 'secret');
  afterAll(() => {
    rmSync(root, { recursive: true, force: true });
    rmSync(join(tmpdir(), 'emt-proto-secret.js'), { force: true });
  });

  it.each([
    ['app://emt/', 'index.html'],
    ['app://emt/index.html', 'index.html'],
    ['app://emt/assets/a.js?v=1', 'assets/a.js'],
  ])('maps %s into the renderer folder', (url, rel) => {
    expect(resolveAppFile(root, url)).toBe(join(root, rel));
  });

  it.each(['app://emt/../emt-proto-secret.js', 'app://emt/%2e%2e/emt-proto-secret.js', 'app://emt/..%2femt-proto-secret.js', 'app://emt/a/..%2f..%2f..%2femt-proto-secret.js'])(
    'never leaves the renderer folder for %s',
    async (url) => {
      const file = resolveAppFile(root, url);
      expect(file === null || file.startsWith(join(root, '/'))).toBe(true);
      expect((await serveAppRequest(root, { url, method: 'GET' })).status).toBe(404);
    },
  );

  it.each([
    'app://other/index.html',
    'file:///etc/passwd',
    'app://emt/index.html%00.js',
    'app://emt/unknown.exe',
  ])('refuses %s', (url) => {
    expect(resolveAppFile(root, url)).toBeNull();
  });

  it('serves files with their type and the CSP header, and 404s the rest', async () => {
    const ok = await serveAppRequest(root, { url: 'app://emt/assets/a.js', method: 'GET' });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toContain('text/javascript');
    expect(ok.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
    expect(await ok.text()).toBe('console.log(1)');
    const missing = await serveAppRequest(root, { url: 'app://emt/nope.js', method: 'GET' });
    expect(missing.status).toBe(404);
    expect((await serveAppRequest(root, { url: 'app://emt/index.html', method: 'POST' })).status).toBe(404);
  });

  it('gives the renderer page the same policy as a meta tag (for the test bridge), less what only a header can carry', () => {
    const html = readFileSync(join(import.meta.dirname, '..', 'renderer', 'index.html'), 'utf8');
    const meta = /http-equiv="Content-Security-Policy" content="([^"]+)"/.exec(html)?.[1];
    expect(meta).toBe(CONTENT_SECURITY_POLICY.split('; ').filter((d) => !d.startsWith('frame-ancestors')).join('; '));
  });

  it('has a CSP with no inline or eval script and no remote sources', () => {
    expect(CONTENT_SECURITY_POLICY).toContain("script-src 'self'");
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-inline|unsafe-eval|https?:|\*/);
  });
});
