import { PROFILE_SCHEMA_VERSION } from '../contract/profile';
import { EmtError } from '../errors';

type Doc = Record<string, unknown>;

/**
 * Steps that turn a profile document of version N into version N+1, indexed by N-1. When the
 * schema changes, add a step and bump PROFILE_SCHEMA_VERSION; never edit a shipped step, because
 * profiles saved by every earlier release must keep loading.
 */
const STEPS: ReadonlyArray<(doc: Doc) => Doc> = [fromV1];

/**
 * Version 1 (the first field trials) was flat: `version: 1`, one `proxy` URL for http and https,
 * `kernelArgs` as one string, certificates as bare PEM text without their file names, the worker
 * MAC as `emf.workerMac` (absent meant automatic), installer scripts as a name → text map, and a
 * config-file only as imported text or three fields.
 */
function fromV1(v1: Doc): Doc {
  const { version: _version, proxy, noProxy, kernelArgs, emf, standalone, ...rest } = v1;
  const out: Doc = { ...rest, schemaVersion: 2 };
  if (typeof proxy === 'string' || typeof noProxy === 'string') {
    out.network = { proxy: { ...(typeof proxy === 'string' ? { http: proxy, https: proxy } : {}), ...(typeof noProxy === 'string' ? { noProxy } : {}) } };
  }
  if (typeof kernelArgs === 'string' && kernelArgs.trim()) out.kernel = { extraArgs: kernelArgs.trim().split(/\s+/) };
  if (isDoc(emf)) {
    const { domain, services, caCert, provisioningCaCert, workerMac, ...emfRest } = emf;
    out.emf = {
      ...emfRest,
      ...(typeof domain === 'string' ? { orchestratorDomain: domain } : {}),
      ...(isDoc(services) ? { services } : {}),
      certificates: {
        ...(typeof caCert === 'string' ? { orchestratorCa: { name: 'ca.pem', content: caCert } } : {}),
        ...(typeof provisioningCaCert === 'string' ? { provisioningCa: { name: 'provisioning-ca.pem', content: provisioningCaCert } } : {}),
      },
      caddy: { source: 'generate' },
      fluentBit: { source: 'generate' },
      workerId: typeof workerMac === 'string' && workerMac ? { mode: 'mac', mac: workerMac } : { mode: 'auto' },
    };
  }
  if (isDoc(standalone)) {
    const { installerScripts, configFile, userName, hostType, sshKey, osImage, ...saRest } = standalone;
    const files = isDoc(installerScripts) ? Object.entries(installerScripts).map(([name, content]) => ({ name, content })) : [];
    out.standalone = {
      ...saRest,
      installer: { files },
      configFile:
        typeof configFile === 'string'
          ? { source: 'import', file: { name: 'config-file', content: configFile } }
          : { source: 'fields', fields: { ...(userName !== undefined ? { userName } : {}), ...(hostType !== undefined ? { hostType } : {}), ...(sshKey !== undefined ? { sshKey } : {}) } },
      ...(typeof osImage === 'string' ? { osImage: { path: osImage } } : {}),
    };
  }
  return out;
}

function isDoc(v: unknown): v is Doc {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

export interface MigratedProfile {
  doc: Doc;
  /** The version the document had, when it was older than the current one. */
  migratedFrom: number | null;
}

export function migrateProfile(raw: Doc, source: string): MigratedProfile {
  const from = raw.schemaVersion ?? (raw.version === 1 ? 1 : undefined);
  if (typeof from !== 'number' || !Number.isInteger(from) || from < 1) {
    throw new EmtError('E_PROFILE_VERSION', `${source} has no valid schemaVersion, so it is not an EMT Media Builder profile.`, 'Check that you opened a profile file; create one with: emt-media profile new');
  }
  if (from > PROFILE_SCHEMA_VERSION) {
    throw new EmtError(
      'E_PROFILE_VERSION_NEWER',
      `${source} was written by a newer EMT Media Builder (profile version ${from}; this one reads up to ${PROFILE_SCHEMA_VERSION}).`,
      'Update EMT Media Builder, or ask the sender for a profile saved by your version.',
    );
  }
  let doc = raw;
  for (let v = from; v < PROFILE_SCHEMA_VERSION; v++) doc = STEPS[v - 1]!(doc);
  return { doc, migratedFrom: from < PROFILE_SCHEMA_VERSION ? from : null };
}
