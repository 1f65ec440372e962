import { fireEvent, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import type { Profile } from '../../app/contract/profile';
import { preview } from '../testing/fixtures';
import { renderWith } from '../testing/render';
import { testStore } from '../testing/scripted-api';
import { CustomizeScreen } from './CustomizeScreen';

const user = userEvent.setup({ delay: null });

/** Answers like the engine would: a domain with a space is refused on its field; no CA is an error. */
function engineLikeCheck(p: Profile) {
  const findings = [];
  if (p.mode === 'emf' && /\s/.test(p.emf.orchestratorDomain ?? '')) findings.push({ severity: 'error' as const, code: 'E_HOST', message: 'The domain contains a space.', hint: 'Write a host name.', field: 'emf.orchestratorDomain' });
  if (p.mode === 'emf' && !p.emf.certificates.orchestratorCa) findings.push({ severity: 'error' as const, code: 'E_CERT_MISSING', message: "The orchestrator's CA certificate is missing.", hint: 'Add it.', field: 'emf.certificates.orchestratorCa' });
  return preview(findings);
}

function setUp() {
  const t = testStore({ 'profiles.check': engineLikeCheck });
  t.store.getState().setMode('emf');
  renderWith(t.store, <CustomizeScreen />);
  return t;
}

// Typing re-renders the whole form; on a loaded shared CI machine that takes seconds.
describe('CustomizeScreen (scripted API)', { timeout: 30_000 }, () => {
  it('shows the finding under the field as the user types, and marks the input invalid', async () => {
    setUp();
    const domain = screen.getByRole('textbox', { name: 'Orchestrator domain' });
    await user.click(domain);
    await user.paste('orch example.com');
    await waitFor(() => expect(domain.getAttribute('aria-invalid')).toBe('true'));
    const described = domain.getAttribute('aria-describedby')!.split(' ').map((id) => document.getElementById(id)!.textContent).join(' ');
    expect(described).toContain('The domain contains a space.');
    await user.clear(domain);
    await user.paste('orch.example.com');
    await waitFor(() => expect(domain.getAttribute('aria-invalid')).toBeNull());
    expect(screen.getByRole('status').textContent).toBe('1 problem to fix');
  });

  it('lists every problem at the top with a button that takes the focus to its field', async () => {
    setUp();
    await screen.findAllByText(/CA certificate is missing/);
    const go = screen.getAllByRole('button', { name: 'Go to the field' })[0]!;
    await user.click(go);
    expect(document.activeElement?.textContent).toBe('Choose file…');
    expect(document.activeElement?.closest('[data-field]')?.getAttribute('data-field')).toBe('emf.certificates.orchestratorCa');
  });

  it('takes a dropped DER certificate as PEM text into the profile', async () => {
    const t = setUp();
    const zone = document.querySelector('[data-field="emf.certificates.orchestratorCa"]')!;
    const der = new File([new Uint8Array([0x30, 0x82, 0x01, 0x0a])], 'ca.der');
    fireEvent.drop(zone, { dataTransfer: { files: [der] } });
    await waitFor(() => expect(t.store.getState().profile).toMatchObject({ emf: { certificates: { orchestratorCa: { name: 'ca.der', content: '-----BEGIN CERTIFICATE-----\nMIIBCg==\n-----END CERTIFICATE-----\n' } } } }));
    expect(await screen.findByText(/^ca\.der \(/)).toBeTruthy();
  });

  it('refuses a dropped file that is far too big, saying so', async () => {
    const t = setUp();
    const zone = document.querySelector('[data-field="emf.certificates.orchestratorCa"]')!;
    fireEvent.drop(zone, { dataTransfer: { files: [new File([new Uint8Array(2 << 20)], 'disk.img')] } });
    expect((await screen.findByRole('alert')).textContent).toBe('disk.img is too big for this kind of file.');
    expect(t.store.getState().profile).toMatchObject({ emf: { certificates: {} } });
  });

  it('switches the worker id to a typed MAC and back', async () => {
    const t = setUp();
    await user.click(screen.getByRole('radio', { name: 'A MAC address I type' }));
    await user.click(screen.getByRole('textbox', { name: 'MAC address' }));
    await user.paste('52:54:00:12:34:56');
    expect(t.store.getState().profile).toMatchObject({ emf: { workerId: { mode: 'mac', mac: '52:54:00:12:34:56' } } });
    await user.click(screen.getByRole('radio', { name: 'Chosen by the node at boot' }));
    expect(t.store.getState().profile).toMatchObject({ emf: { workerId: { mode: 'auto' } } });
  });
});
