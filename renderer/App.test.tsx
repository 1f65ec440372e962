import { act, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { App } from './App';
import { buildResult, drive, listing, preview, release } from './testing/fixtures';
import { renderWith } from './testing/render';
import { testStore } from './testing/scripted-api';

const user = userEvent.setup({ delay: null });

function setUp(extra: Record<string, (...a: never[]) => unknown> = {}) {
  const t = testStore({
    'releases.list': () => ({ sources: [], releases: [release(), release({ id: 'emb-20260413', cache: 'none', health: undefined, verification: undefined, isAvailableOffline: false })] }),
    'profiles.check': () => preview(),
    'app.info': () => ({ name: 'EMT Media Builder', version: '0.1.0', platform: 'linux', logFile: '/l/main.log', isTestBridge: false }),
    ...extra,
  });
  renderWith(t.store, <App api={t.api} />);
  return t;
}

describe('App (scripted API)', { timeout: 30_000 }, () => {
  it('walks Release → Mode with the keyboard alone, Next explaining why it waits', async () => {
    const t = setUp();
    const next = screen.getByRole('button', { name: 'Next' }) as HTMLButtonElement;
    expect(next.disabled).toBe(true);
    expect(document.getElementById(next.getAttribute('aria-describedby')!)!.textContent).toBe('Choose a release first.');
    const first = await screen.findByRole('radio', { name: /emb_uos_x86_64_20260526/ });
    first.focus();
    await user.keyboard(' ');
    expect(t.store.getState().releaseId).toBe('emb-20260526');
    next.focus();
    await user.keyboard('{Enter}');
    expect(await screen.findByRole('heading', { level: 1, name: 'What should the stick do?' })).toBe(document.activeElement);
    expect(screen.getByRole('button', { name: /Mode/, current: 'step' })).toBeTruthy();
    expect(within(screen.getByRole('complementary')).getByTestId('summary-release').textContent).toContain('2026-05-26');
  });

  it('shows badges in words for where each release is and how it was checked', async () => {
    setUp();
    const item = (await screen.findByRole('radio', { name: /20260526/ })).closest('li')!;
    expect(within(item).getAllByRole('listitem').map((b) => b.textContent)).toEqual(['Downloaded', 'Works offline', 'Hash pinned on first download']);
    const other = screen.getByRole('radio', { name: /20260413/ }).closest('li')!;
    expect(within(other).getByRole('button', { name: 'Download' })).toBeTruthy();
  });

  it('opens a tool when the application menu asks, and goes back to the same step', async () => {
    const t = setUp({ 'settings.get': () => ({ settings: { version: 1, cacheDir: null, cacheLimitBytes: null, proxy: { mode: 'system', url: '', noProxy: '' }, catalogs: [], trustedCatalogKeys: [], testTargets: [] }, file: '/c/settings.json', cacheDir: '/c/cache', migratedFrom: null }) });
    act(() => t.emitMenu('settings'));
    expect(await screen.findByRole('heading', { level: 1, name: 'Settings' })).toBeTruthy();
    await user.click(screen.getByRole('button', { name: 'Close' }));
    expect(screen.getByRole('heading', { level: 1, name: 'Choose a Bootkit release' })).toBeTruthy();
  });

  it('shows each stick with its own phase, speed and time left while writing, and cancels', async () => {
    let reject!: (e: unknown) => void;
    const t = setUp({
      'drives.list': () => [listing(drive()), listing(drive({ device: '/dev/sdc', name: 'Kingston (sdc)' }))],
      'flash.write': () => new Promise((_r, rj) => (reject = rj)),
      'jobs.cancel': () => {
        reject({ code: 'E_CANCELLED', message: 'The operation was cancelled.', hint: 'Start it again when you are ready.' });
        return true;
      },
    });
    act(() => t.store.setState({ releaseId: 'emb-20260526', buildResult: buildResult(), step: 'write' }));
    await user.click(await screen.findByRole('checkbox', { name: /SanDisk/ }));
    await user.click(screen.getByRole('checkbox', { name: /Kingston/ }));
    await user.click(screen.getByRole('button', { name: 'Write 2 sticks' }));
    act(() => t.emitProgress({ jobId: 'job-1', event: { phase: 'write', done: 50 << 20, total: 200 << 20, bytesPerSecond: 25 << 20, etaSeconds: 6, target: '/dev/sdb' } }));
    const bars = within(screen.getByRole('list', { name: 'Sticks' })).getAllByRole('progressbar');
    expect(bars).toHaveLength(2);
    const sdb = bars[0]!.closest('.progress')!;
    expect(sdb.textContent).toContain('Writing');
    expect(sdb.textContent).toContain('25 MiB/s');
    expect(sdb.textContent).toContain('6 s left');
    expect(bars[1]!.closest('.progress')!.textContent).toContain('Waiting to start');
    await user.click(screen.getByRole('button', { name: 'Cancel' }));
    await waitFor(() => expect(screen.getByRole('status').textContent).toContain('The write was cancelled'));
    expect(t.fns['jobs.cancel']!.mock.calls).toEqual([['job-1']]);
  });
});
