import type { EmfProfile, StandaloneProfile } from '../../contract/profile';
import type { RenderContext } from '../render-types';
import type { TestCert } from './pki';

/** Representative profiles for tests: each test changes one thing and expects one finding. */

export function emfProfile(ca: TestCert, over: Partial<EmfProfile['emf']> = {}): EmfProfile {
  return {
    schemaVersion: 2,
    name: 'Plant 7, line 2',
    mode: 'emf',
    emf: {
      orchestratorDomain: 'orch.example.com',
      certificates: { orchestratorCa: { name: 'orch-ca.crt', content: ca.pem } },
      caddy: { source: 'generate' },
      fluentBit: { source: 'generate' },
      workerId: { mode: 'mac', mac: '52:54:00:12:34:56' },
      ...over,
    },
  };
}

export const INSTALL_OS = '#!/bin/bash\n# test stand-in for EMT-S install-os.sh\necho installing\n';

export function standaloneProfile(over: Partial<StandaloneProfile['standalone']> = {}): StandaloneProfile {
  return {
    schemaVersion: 2,
    name: 'Standalone kiosk',
    mode: 'standalone',
    standalone: {
      installer: {
        files: [
          { name: 'install-os.sh', content: INSTALL_OS },
          { name: 'cloud-init.yaml', content: '#cloud-config\nruncmd: []\n' },
        ],
      },
      configFile: { source: 'fields', fields: { userName: 'edgeuser', hostType: 'container' } },
      osImage: { path: 'images/edge-readonly-3.0.20260526.0123.raw.gz' },
      ...over,
    },
  };
}

/** A release that has everything, with overrides for the checks under test. */
export function bootkitRelease(over: { missing?: string[]; units?: Record<string, { exists: boolean; isEnabled: boolean }> } = {}): RenderContext {
  return {
    layout: 'bootkit',
    releaseName: 'emb_uos_x86_64_20260526',
    hasBinary: (name) => !(over.missing ?? []).includes(name),
    unit: (name) => over.units?.[name] ?? (name === 'start-provision.service' ? { exists: false, isEnabled: false } : { exists: true, isEnabled: true }),
  };
}
