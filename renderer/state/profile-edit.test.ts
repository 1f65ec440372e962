import { describe, expect, it } from 'vitest';
import { fieldName, getIn, newProfile, setIn, switchMode } from './profile-edit';

describe('profile editing helpers', () => {
  it('sets a deep value without touching the original', () => {
    const p = newProfile('emf', 'A');
    const q = setIn(p, ['emf', 'certificates', 'orchestratorCa'], { name: 'ca.pem', content: 'x' });
    expect(getIn(q, ['emf', 'certificates', 'orchestratorCa'])).toEqual({ name: 'ca.pem', content: 'x' });
    expect(p.mode === 'emf' && p.emf.certificates.orchestratorCa).toBeUndefined();
    expect(q.mode === 'emf' && q.emf.caddy).toBe(p.mode === 'emf' && p.emf.caddy);
  });

  it('removes a key when the form clears it, and creates arrays for numeric keys', () => {
    const p = setIn(newProfile('emf', 'A'), ['network', 'proxy', 'http'], 'http://p:3128');
    expect(getIn(setIn(p, ['network', 'proxy', 'http'], ''), ['network', 'proxy'])).toEqual({});
    expect(getIn(setIn(p, ['kernel', 'extraArgs', 0], 'quiet'), ['kernel', 'extraArgs'])).toEqual(['quiet']);
  });

  it('names fields the way the engine reports them', () => {
    expect(fieldName(['kernel', 'extraArgs', 2])).toBe('kernel.extraArgs[2]');
    expect(fieldName(['emf', 'services', 'OBM_PORT'])).toBe('emf.services.OBM_PORT');
  });

  it('keeps the shared parts when the mode changes', () => {
    const emf = { ...newProfile('emf', 'Site B'), network: { proxy: { http: 'http://p:3128' } }, kernel: { extraArgs: ['quiet'] } };
    const sa = switchMode(emf, 'standalone', 'New');
    expect(sa).toMatchObject({ mode: 'standalone', name: 'Site B', network: emf.network, kernel: emf.kernel });
    expect(switchMode(null, 'emf', 'New').name).toBe('New');
    expect(switchMode(sa, 'standalone', 'x')).toBe(sa);
  });
});
