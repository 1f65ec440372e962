import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { ReleaseScreen } from './ReleaseScreen';
import { release } from '../testing/fixtures';
import { renderWith } from '../testing/render';
import { testStore } from '../testing/scripted-api';

const user = userEvent.setup({ delay: null });
const remote = (id: string, over = {}) => release({ id, cache: 'none', health: undefined, verification: undefined, isAvailableOffline: false, ...over });

function names(list: HTMLElement): string[] {
  return within(list).getAllByRole('radio').map((r) => r.getAttribute('id')!.replace('release-', ''));
}

describe('the release list (scripted API)', () => {
  it('shows what is on this computer and what is to download, each newest first, and filters a long list', async () => {
    const withoutHash = remote('emb-20260514', { release: { ...release({ id: 'emb-20260514' }).release!, sha256: undefined } });
    const pinned = remote('emb-20250710', { pin: { id: 'emb-20250710', url: 'https://files.example/x.tar.gz', sha256: 'f'.repeat(64), size: 1, pinnedAt: '2026-01-02T03:04:05Z' } });
    const releases = [release({ id: 'emb-20251023' }), remote('emb-20260526', { release: { ...release({ id: 'emb-20260526' }).release!, sha256: 'a'.repeat(64) } }), withoutHash, pinned, release({ id: 'emb-20260413' }), remote('emb-20251126')];
    const t = testStore({ 'releases.list': () => ({ sources: [], releases }) });
    renderWith(t.store, <ReleaseScreen />);
    const local = await screen.findByRole('list', { name: 'On this computer' });
    expect(names(local)).toEqual(['emb-20260413', 'emb-20251023']);
    const toDownload = screen.getByRole('list', { name: 'To download' });
    expect(names(toDownload)).toEqual(['emb-20260526', 'emb-20260514', 'emb-20251126', 'emb-20250710']);
    // How a download will be trusted: the catalog's hash, else a pin on the first download, else the pin already taken.
    const badges = (id: string) => within(document.querySelector(`li[data-release="${id}"]`)!).getAllByRole('listitem').map((b) => b.textContent);
    expect(badges('emb-20260526')).toEqual(['Not downloaded']);
    expect(badges('emb-20260514')).toEqual(['Not downloaded', 'No catalog hash: pinned on download']);
    expect(badges('emb-20250710')).toEqual(['Not downloaded', 'Hash pinned 2026-01-02: a changed file is refused']);

    await user.type(screen.getByRole('searchbox', { name: 'Filter releases' }), '2026-05');
    expect(screen.queryByRole('list', { name: 'On this computer' })).toBeNull();
    expect(names(screen.getByRole('list', { name: 'To download' }))).toEqual(['emb-20260526', 'emb-20260514']);
    expect(screen.getByText('2 of 6 releases')).toBeTruthy();
    await user.clear(screen.getByRole('searchbox', { name: 'Filter releases' }));
    await user.type(screen.getByRole('searchbox', { name: 'Filter releases' }), 'nothing like it');
    expect(screen.getByText('No release matches the filter.')).toBeTruthy();
  });
});
