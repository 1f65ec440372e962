import { open, writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import type { PickedFile, PickPurpose } from '../app/contract/api';
import { EmtError } from '../app/errors';

/** The parts of Electron's `dialog` module the handlers use. */
export interface DialogLike {
  showOpenDialog(options: OpenOptions): Promise<{ canceled: boolean; filePaths: string[] }>;
  showSaveDialog(options: SaveOptions): Promise<{ canceled: boolean; filePath?: string }>;
}
interface Filter {
  name: string;
  extensions: string[];
}
export interface OpenOptions {
  title: string;
  properties: Array<'openFile' | 'openDirectory' | 'createDirectory'>;
  filters?: Filter[];
}
export interface SaveOptions {
  title: string;
  defaultPath: string;
  filters?: Filter[];
}

interface PurposeSpec {
  title: string;
  filters?: Filter[];
  /** Small text files come back with their content, so the UI can validate as the user watches. */
  isText: boolean;
}

const ANY: Filter = { name: 'All files', extensions: ['*'] };

export const PURPOSES: Record<PickPurpose, PurposeSpec> = {
  certificate: { title: 'Choose a certificate', filters: [{ name: 'Certificates', extensions: ['pem', 'crt', 'cer', 'der'] }, ANY], isText: true },
  config: { title: 'Choose a configuration file', filters: [{ name: 'Configuration', extensions: ['conf', 'yaml', 'yml', 'json', 'txt', 'env', 'sh'] }, ANY], isText: true },
  installer: { title: 'Choose the EMT-S installer (provisioning_scripts folder or tarball)', filters: [{ name: 'Tarballs', extensions: ['tar', 'gz', 'tgz', 'xz', 'zst'] }, ANY], isText: false },
  profile: { title: 'Choose a site profile', filters: [{ name: 'Site profiles', extensions: ['emtprofile', 'json'] }, ANY], isText: true },
  release: { title: 'Choose a Bootkit release tarball', filters: [{ name: 'Bootkit releases', extensions: ['gz', 'tgz', 'tar'] }, ANY], isText: false },
  osImage: { title: 'Choose the EMT OS image', filters: [{ name: 'OS images', extensions: ['gz', 'raw', 'img', 'xz', 'zst'] }, ANY], isText: false },
  bootChain: { title: 'Choose the folder of the signed boot chain (BOOTX64.EFI and grubx64.efi)', isText: false },
  userApps: { title: 'Choose the user-apps folder', isText: false },
  inspect: { title: 'Choose an ISO to inspect', filters: [{ name: 'ISO and stick images', extensions: ['iso', 'img'] }, ANY], isText: false },
  output: { title: 'Choose where to save the ISO', filters: [{ name: 'ISO images', extensions: ['iso'] }], isText: false },
  report: { title: 'Save the report', filters: [{ name: 'Reports', extensions: ['json', 'txt'] }], isText: false },
};

/** Certificates and configs are small; anything bigger is the wrong file. */
export const MAX_TEXT_BYTES = 1 << 20;

export async function pickedFile(path: string, isText: boolean, isCertificate = false): Promise<PickedFile> {
  const fh = await open(path, 'r');
  try {
    const { size } = await fh.stat();
    const base: PickedFile = { path, name: basename(path), size };
    if (!isText) return base;
    if (size > MAX_TEXT_BYTES) {
      throw new EmtError('E_FILE_TOO_BIG', `${basename(path)} is ${size} bytes, too big for a certificate or configuration file.`, 'Choose the right file; these are small text files (under 1 MiB).');
    }
    const bytes = await fh.readFile();
    try {
      return { ...base, text: new TextDecoder('utf-8', { fatal: true }).decode(bytes) };
    } catch {
      // Not text: a DER certificate travels PEM-armoured (profiles carry text); the engine checks it.
      return isCertificate ? { ...base, text: pemArmor(bytes) } : base;
    }
  } finally {
    await fh.close();
  }
}

/** RFC 7468 §2: base64 in lines of 64 between the BEGIN and END lines. */
export function pemArmor(der: Uint8Array, label = 'CERTIFICATE'): string {
  const b64 = Buffer.from(der).toString('base64');
  return `-----BEGIN ${label}-----\n${b64.replace(/.{64}/g, '$&\n').replace(/\n$/, '')}\n-----END ${label}-----\n`;
}

/** The `dialogs` namespace of the contract on Electron's native dialogs. */
export function createDialogHandlers(dialog: DialogLike) {
  return {
    openFile: async (_ctx: unknown, purpose: PickPurpose): Promise<PickedFile | null> => {
      const spec = PURPOSES[purpose];
      const r = await dialog.showOpenDialog({ title: spec.title, properties: ['openFile'], ...(spec.filters ? { filters: spec.filters } : {}) });
      const path = r.filePaths[0];
      return r.canceled || !path ? null : pickedFile(path, spec.isText, purpose === 'certificate');
    },
    openFolder: async (_ctx: unknown, purpose: PickPurpose): Promise<string | null> => {
      const r = await dialog.showOpenDialog({ title: PURPOSES[purpose].title, properties: ['openDirectory', 'createDirectory'] });
      return r.canceled ? null : (r.filePaths[0] ?? null);
    },
    saveFile: async (_ctx: unknown, purpose: PickPurpose, suggestedName: string): Promise<string | null> => {
      const spec = PURPOSES[purpose];
      const r = await dialog.showSaveDialog({ title: spec.title, defaultPath: basename(suggestedName), ...(spec.filters ? { filters: spec.filters } : {}) });
      return r.canceled || !r.filePath ? null : r.filePath;
    },
    saveText: async (_ctx: unknown, purpose: PickPurpose, suggestedName: string, text: string): Promise<string | null> => {
      const spec = PURPOSES[purpose];
      const r = await dialog.showSaveDialog({ title: spec.title, defaultPath: basename(suggestedName), ...(spec.filters ? { filters: spec.filters } : {}) });
      if (r.canceled || !r.filePath) return null;
      await writeFile(r.filePath, text, { mode: 0o644 });
      return r.filePath;
    },
  };
}
