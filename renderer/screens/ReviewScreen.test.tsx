import { act, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import type { BuildCheck } from '../../app/contract/build';
import type { SettingsInfo } from '../../app/contract/settings';
import { App } from '../App';
import { newProfile } from '../state/profile-edit';
import { bootChain, buildCheck, preview, release } from '../testing/fixtures';
import { renderWith } from '../testing/render';
import { testStore } from '../testing/scripted-api';

const user = userEvent.setup({ delay: null });

function settingsInfo(bootChainDir: string | null = null): SettingsInfo {
  return {
    settings: { version: 1, cacheDir: null, cacheLimitBytes: null, proxy: { mode: 'system', url: '', noProxy: '' }, catalogs: [], trustedCatalogKeys: [], testTargets: [], bootChainDir },
    file: '/c/settings.json',
    cacheDir: '/c/cache',
    migratedFrom: null,
  };
}

/** The app on Review, its checks answered by `check` (resolved when the test says so). */
function onReview(check: (req: { bootChainDir?: string | null }) => Promise<BuildCheck>, extra: Record<string, (...a: never[]) => unknown> = {}, mode: 'emf' | 'standalone' = 'emf', chosen = release()) {
  let settings = settingsInfo();
  const t = testStore({
    'releases.list': () => ({ sources: [], releases: [release()] }),
    'profiles.check': () => preview(),
    'app.info': () => ({ name: 'EMT Media Builder', version: '0.1.0', platform: 'linux', logFile: '/l/main.log', isTestBridge: false }),
    'settings.get': () => settings,
    'settings.update': (patch: { bootChainDir?: string | null }) => (settings = settingsInfo(patch.bootChainDir ?? null)),
    'build.check': (_jobId: string, req: { bootChainDir?: string | null }) => check(req),
    ...extra,
  });
  act(() => t.store.setState({ releases: { sources: [], releases: [chosen] }, releaseId: 'emb-20260526', profile: newProfile(mode, 'Site A'), preview: preview(), step: 'review' }));
  renderWith(t.store, <App api={t.api} />);
  return t;
}

const next = () => screen.getByRole('button', { name: 'Next' }) as HTMLButtonElement;
const reason = () => document.getElementById(next().getAttribute('aria-describedby')!)!.textContent;

describe('Review (scripted API)', { timeout: 30_000 }, () => {
  it('checks against the release on arrival with a progress bar, then shows Secure Boot and the exact sizes, and lets Build open', async () => {
    let answer!: (c: BuildCheck) => void;
    const t = onReview(() => new Promise((r) => (answer = r)), {}, 'standalone');
    expect(await screen.findByRole('progressbar', { name: /Checking the profile against emb_uos_x86_64_20260526/ })).toBeTruthy();
    expect(next().disabled).toBe(true);
    expect(reason()).toBe('Review is still checking the profile against the release.');
    await act(async () => answer(buildCheck([], { media: { isoBytes: 212 << 20, stickMinBytes: 1_700_000_000 } })));
    expect(within(screen.getByRole('status', { name: '' }).parentElement!).queryByRole('progressbar')).toBeNull();
    expect(screen.getByText(/Checked against emb_uos_x86_64_20260526 \(Bootkit layout\)/)).toBeTruthy();
    expect(screen.getByTestId('secure-boot').textContent).toBe('Must be off. This media starts an unsigned GRUB: turn Secure Boot off.');
    expect(screen.getByTestId('media-size').textContent).toBe('ISO: 212 MiBStick: at least 1.6 GiB (a 2 GB stick or larger)');
    expect(next().disabled).toBe(false);
    expect(t.fns['build.check']!.mock.calls[0]).toEqual(['job-1', { releaseId: 'emb-20260526', profile: t.store.getState().profile, profilePath: null, bootChainDir: null }]);
    // Both things a technician must not miss about a standalone stick, in plain words.
    const note = screen.getByRole('note', { name: 'Before you go on' });
    expect(note.textContent).toContain('erases every SATA and NVMe disk');
    expect(note.textContent).toContain('plain text on the stick');
  });

  it('lists what only the release can tell, and keeps Build closed while it is an error', async () => {
    const missing = { severity: 'error' as const, code: 'E_RELEASE_TOOL_MISSING', message: 'emb_uos_x86_64_20260526 lacks parted (package parted), which the standalone installer runs.', hint: 'Choose a Bootkit release that includes parted.' };
    onReview(async () => buildCheck([missing], { media: { isoBytes: null, stickMinBytes: null } }));
    expect(await screen.findByText(/lacks parted/)).toBeTruthy();
    expect(screen.getByTestId('media-size').textContent).toBe('Known once the problems below are fixed.');
    expect(next().disabled).toBe(true);
    expect(reason()).toBe('Fix the problems Review found first.');
    expect(within(screen.getByRole('complementary')).getByTestId('summary-problems').textContent).toBe('1 to fix, 0 to review');
    // The release lacks it: the way out is another release, not the profile.
    expect(screen.queryByRole('button', { name: 'Back to Customize' })).toBeNull();
    await user.click(screen.getByRole('button', { name: 'Choose another release' }));
    expect(await screen.findByRole('heading', { level: 1, name: 'Choose a Bootkit release' })).toBeTruthy();
  });

  it('takes a signed boot chain: reads it, keeps it in the settings, shows its signers, and checks again with it', async () => {
    const t = onReview(async (req) => (req.bootChainDir ? buildCheck([], { secureBoot: { state: 'possible', explanation: 'Boots with Secure Boot on.' }, bootChain: bootChain() }) : buildCheck()), {
      'dialogs.openFolder': () => '/srv/chain',
      'build.bootChain': () => bootChain(),
    });
    await waitFor(() => expect(screen.getByTestId('secure-boot').dataset.state).toBe('off-required'));
    await user.click(screen.getByRole('button', { name: 'Use a signed boot chain…' }));
    await waitFor(() => expect(screen.getByTestId('secure-boot').dataset.state).toBe('possible'));
    expect(t.fns['dialogs.openFolder']!.mock.calls).toEqual([['bootChain']]);
    expect(t.fns['settings.update']!.mock.calls).toEqual([[{ bootChainDir: '/srv/chain' }]]);
    expect(t.fns['build.check']!.mock.calls.at(-1)![1]).toMatchObject({ bootChainDir: '/srv/chain' });
    const files = screen.getByRole('table', { name: 'Files in /srv/chain' });
    expect(within(files).getAllByRole('row').slice(1).map((r) => r.textContent)).toEqual([
      'BOOTX64.EFI 1.0 MiBYesDebian Secure Boot Signer 2022 - shim',
      'grubx64.efi 1.0 MiBYesDebian Secure Boot Signer 2022 - shim',
    ]);
    expect(screen.getByTestId('secure-boot').textContent).toBe('Can stay on. Boots with Secure Boot on.');
    await user.click(screen.getByRole('button', { name: 'Use the unsigned kit instead' }));
    await waitFor(() => expect(screen.getByTestId('secure-boot').dataset.state).toBe('off-required'));
    expect(t.fns['settings.update']!.mock.calls.at(-1)).toEqual([{ bootChainDir: null }]);
  });

  it('refuses a folder without shim and GRUB with the reason, and keeps the setting as it was', async () => {
    const t = onReview(async () => buildCheck(), {
      'dialogs.openFolder': () => '/home/tech/Downloads',
      'build.bootChain': () => Promise.reject({ code: 'E_BOOT_CHAIN_MISSING', message: 'The boot chain folder /home/tech/Downloads has no BOOTX64.EFI (the shim boot loader).', hint: 'Put the shim boot loader into the folder as BOOTX64.EFI.' }),
    });
    await screen.findByText(/Checked against/);
    await user.click(screen.getByRole('button', { name: 'Use a signed boot chain…' }));
    expect((await screen.findByRole('alert')).textContent).toContain('has no BOOTX64.EFI');
    expect(t.fns['settings.update']).not.toHaveBeenCalled();
  });

  it('says when the check failed, and tries again on request', async () => {
    let calls = 0;
    onReview(async () => {
      calls += 1;
      if (calls === 1) throw { code: 'E_KIT_MISSING', message: 'The boot loader kit is missing.', hint: 'Run npm run kit.' };
      return buildCheck();
    });
    expect((await screen.findByRole('alert')).textContent).toContain('The boot loader kit is missing.');
    expect(reason()).toBe('The check in Review failed; see why there.');
    await user.click(screen.getByRole('button', { name: 'Try again' }));
    await waitFor(() => expect(next().disabled).toBe(false));
  });

  it('waits for the release download to end, then checks against it', async () => {
    const t = onReview(async () => buildCheck(), {}, 'emf', release({ cache: 'partial', health: undefined, isAvailableOffline: false }));
    expect(await screen.findByText('The profile is checked against the release once it is downloaded (or imported).')).toBeTruthy();
    expect(reason()).toBe('Download the release first (or import it).');
    expect(t.fns['build.check']).not.toHaveBeenCalled();
    act(() => t.store.setState({ releases: { sources: [], releases: [release()] } }));
    expect(await screen.findByText(/Checked against/)).toBeTruthy();
    expect(t.fns['build.check']!.mock.calls.length).toBe(1);
  });
});
