import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';

const user = userEvent.setup({ delay: null });
import { describe, expect, it } from 'vitest';
import { drive, finding, listing } from '../testing/fixtures';
import { renderWith } from '../testing/render';
import { testStore } from '../testing/scripted-api';
import { DrivePicker } from './DrivePicker';

function setUp() {
  const t = testStore();
  t.store.setState({
    hasListedDrives: true,
    drives: [
      listing(drive()),
      listing(drive({ device: '/dev/nvme0n1', name: 'Samsung 980 (nvme0n1)', isSystem: true, systemReason: 'fixed', isRemovable: false, bus: 'NVME' }), [finding('confirm', 'E_SYSTEM_DRIVE')]),
      listing(drive({ device: '/dev/sdc', name: 'Tiny (sdc)', size: 1e8 }), [finding('error', 'E_DRIVE_TOO_SMALL', 'The stick holds 95 MiB; the image needs 210 MiB.')]),
      listing(drive({ device: '/dev/sdd', name: 'Locked (sdd)', isReadOnly: true }), [finding('error', 'E_DRIVE_READ_ONLY', 'The stick is write-protected.')]),
    ],
  });
  renderWith(t.store, <DrivePicker isLocked={false} />);
  return t;
}

describe('DrivePicker', { timeout: 30_000 }, () => {
  it('lists sticks and hides the system drive behind a button that says how many are hidden', async () => {
    setUp();
    expect(screen.getByRole('checkbox', { name: /SanDisk Ultra \(sdb\)/ })).toBeTruthy();
    expect(screen.queryByRole('checkbox', { name: /Samsung 980/ })).toBeNull();
    await user.click(screen.getByRole('button', { name: 'Show 1 hidden system drive' }));
    expect(screen.getByRole('checkbox', { name: /Samsung 980/ })).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Hide system drives' }).getAttribute('aria-expanded')).toBe('true');
  });

  it('keeps a too-small or read-only stick visible but disabled, with the reason read out with it', () => {
    setUp();
    const tiny = screen.getByRole('checkbox', { name: /Tiny \(sdc\)/ }) as HTMLInputElement;
    expect(tiny.disabled).toBe(true);
    const why = document.getElementById(tiny.getAttribute('aria-describedby')!.split(' ')[1]!)!;
    expect(why.textContent).toContain('the image needs 210 MiB');
    expect((screen.getByRole('checkbox', { name: /Locked \(sdd\)/ }) as HTMLInputElement).disabled).toBe(true);
    expect(screen.getByText(/write-protected/)).toBeTruthy();
  });

  it('asks for the exact name of a system drive before it counts as confirmed', async () => {
    const t = setUp();
    await user.click(screen.getByRole('button', { name: /Show 1 hidden/ }));
    await user.click(screen.getByRole('checkbox', { name: /Samsung 980/ }));
    const box = screen.getByRole('textbox', { name: /Type its name, Samsung 980 \(nvme0n1\)/ });
    expect(box.getAttribute('aria-invalid')).toBe('true');
    await user.type(box, 'Samsung 980 (nvme0n1)');
    expect(t.store.getState().typedNames['/dev/nvme0n1']).toBe('Samsung 980 (nvme0n1)');
    expect(box.getAttribute('aria-invalid')).toBeNull();
  });

  it('can be used from the keyboard alone', async () => {
    const t = setUp();
    await user.tab();
    expect(document.activeElement).toBe(screen.getByRole('checkbox', { name: /SanDisk Ultra/ }));
    await user.keyboard(' ');
    expect(t.store.getState().selectedDevices).toEqual(['/dev/sdb']);
  });
});
