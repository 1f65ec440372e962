import { act, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import type { EjectTargetResult, TargetResult, WriteResult } from '../../app/contract/drives';
import { DoneScreen } from './DoneScreen';
import { buildResult } from '../testing/fixtures';
import { renderWith } from '../testing/render';
import { testStore } from '../testing/scripted-api';

const user = userEvent.setup({ delay: null });

function written(device: string, name: string, over: Partial<TargetResult> = {}): TargetResult {
  return { device, name, ok: true, phase: 'done', bytesWritten: 1 << 20, bytesVerified: 1 << 20, bytesSkipped: 0, isVerified: true, isCacheBypassed: true, isEjected: false, isWiped: false, writeSeconds: 1, verifySeconds: 1, findings: [], error: null, ...over };
}

function onDone(targets: TargetResult[], eject: (targets: Array<{ device: string }>) => Promise<{ targets: EjectTargetResult[] }>) {
  const t = testStore({ 'flash.eject': (_job: string, req: { targets: Array<{ device: string }> }) => eject(req.targets) });
  const writeResult: WriteResult = { ok: true, size: 1 << 20, targets, writerMaxRssBytes: 0 };
  act(() => t.store.setState({ buildResult: buildResult(), writeResult, step: 'done', typedNames: { '/dev/sdc': 'Disk (sdc)' } }));
  renderWith(t.store, <DoneScreen />);
  return t;
}

const row = (device: string) => document.querySelector(`tr[data-device="${device}"]`) as HTMLElement;

describe('Done: ejecting sticks the write left attached (scripted API)', () => {
  it('ejects one stick from its own line, through the writer, and says it can be unplugged', async () => {
    const t = onDone([written('/dev/sdb', 'SanDisk (sdb)'), written('/dev/sdd', 'Kingston (sdd)', { isEjected: true })], async (ts) => ({ targets: ts.map((x) => ({ device: x.device, name: 'SanDisk (sdb)', isEjected: true, error: null })) }));
    expect(within(row('/dev/sdd')).getByText('Ejected: you can unplug it.')).toBeTruthy();
    expect(within(row('/dev/sdd')).queryByRole('button')).toBeNull();
    // One stick left to eject: no "eject all" beside its own button.
    expect(screen.queryByRole('button', { name: 'Eject all sticks' })).toBeNull();
    await user.click(within(row('/dev/sdb')).getByRole('button', { name: 'Eject SanDisk (sdb)' }));
    await waitFor(() => expect(within(row('/dev/sdb')).getByText('Ejected: you can unplug it.')).toBeTruthy());
    expect(t.fns['flash.eject']!.mock.calls).toEqual([['job-1', { targets: [{ device: '/dev/sdb' }] }]]);
  });

  it('ejects all at once, sends the typed name of a confirmed system drive, and shows why one stayed', async () => {
    const busy = { code: 'E_BUSY', message: '/media/tech/EMT on Kingston (sdc) could not be unmounted: it is used by nautilus (pid 2210).', hint: 'Close the files and windows open on the stick, then try again.' };
    const t = onDone([written('/dev/sdb', 'SanDisk (sdb)'), written('/dev/sdc', 'Disk (sdc)'), written('/dev/sde', 'Broken (sde)', { ok: false, error: { code: 'E_IO', message: 'x', hint: 'y' } })], async (ts) => ({
      targets: ts.map((x) => (x.device === '/dev/sdc' ? { device: x.device, name: 'Disk (sdc)', isEjected: false, error: busy } : { device: x.device, name: 'SanDisk (sdb)', isEjected: true, error: null })),
    }));
    await user.click(screen.getByRole('button', { name: 'Eject all sticks' }));
    await waitFor(() => expect(within(row('/dev/sdb')).getByText('Ejected: you can unplug it.')).toBeTruthy());
    // The failed stick is not ejected: it was never written.
    expect(t.fns['flash.eject']!.mock.calls).toEqual([['job-1', { targets: [{ device: '/dev/sdb' }, { device: '/dev/sdc', typedName: 'Disk (sdc)' }] }]]);
    expect(within(row('/dev/sdc')).getByText('Not ejected')).toBeTruthy();
    expect(within(row('/dev/sdc')).getByRole('alert').textContent).toContain('nautilus (pid 2210)');
    expect(within(row('/dev/sdc')).getByRole('button', { name: 'Eject Disk (sdc)' })).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Eject all sticks' })).toBeNull();
  });
});
