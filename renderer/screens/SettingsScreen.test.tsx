import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import type { SettingsInfo } from '../../app/contract/settings';
import { SettingsScreen } from './SettingsScreen';
import { bootChain } from '../testing/fixtures';
import { renderWith } from '../testing/render';
import { testStore } from '../testing/scripted-api';

const user = userEvent.setup({ delay: null });

function info(bootChainDir: string | null): SettingsInfo {
  return {
    settings: { version: 1, cacheDir: null, cacheLimitBytes: null, proxy: { mode: 'system', url: '', noProxy: '' }, catalogs: [], trustedCatalogKeys: [], testTargets: [], bootChainDir },
    file: '/c/settings.json',
    cacheDir: '/c/cache',
    migratedFrom: null,
  };
}

describe('Settings: the signed boot chain (scripted API)', () => {
  it('shows the chain the settings name with its signers, and goes back to the unsigned kit', async () => {
    let current = info('/srv/chain');
    const t = testStore({
      'app.info': () => ({ name: 'EMT Media Builder', version: '0.1.0', platform: 'linux', logFile: '/l', isTestBridge: false }),
      'settings.get': () => current,
      'settings.update': (patch: { bootChainDir: string | null }) => (current = info(patch.bootChainDir)),
      'build.bootChain': () => bootChain(),
    });
    renderWith(t.store, <SettingsScreen />);
    const section = await screen.findByRole('region', { name: 'Secure Boot' });
    await waitFor(() => expect(within(section).getByRole('table', { name: 'Files in /srv/chain' })).toBeTruthy());
    expect(within(section).getByTestId('boot-chain-dir').textContent).toBe('/srv/chain');
    expect(t.fns['build.bootChain']!.mock.calls).toEqual([['/srv/chain']]);
    await user.click(within(section).getByRole('button', { name: 'Use the unsigned kit' }));
    await waitFor(() => expect(within(section).getByTestId('boot-chain-dir').textContent).toBe('None: the kit’s unsigned GRUB'));
    expect(within(section).queryByRole('table')).toBeNull();
    expect(t.fns['settings.update']!.mock.calls).toEqual([[{ bootChainDir: null }]]);
  });
});
