import { createReadStream } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, join, posix } from 'node:path';
import type { Finding } from '../contract/build';
import { PROFILE_LIMITS, type EmbeddedFile } from '../contract/profile';
import { EmtError, toEmtError } from '../errors';
import { decompress } from '../formats/compression/decompress';
import { readTar } from '../formats/tar/reader';
import { safeMemberPath } from '../formats/tar/safe-path';
import { derToPem } from './checks/certificate';
import { Findings } from './findings';
import { INSTALLER_ENTRY } from './standalone/validate-standalone';

/**
 * Files from this computer into a profile: by content, with their original names. The GUI's main
 * process and the CLI use these; everything else works on the profile alone.
 */

const utf8 = new TextDecoder('utf-8', { fatal: true });

async function readSmall(path: string, maxBytes: number, label: string): Promise<Buffer> {
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch (e) {
    throw toEmtError(e, `Cannot read ${label}`);
  }
  if (size > maxBytes) {
    throw new EmtError('E_FILE_TOO_LARGE', `${path} is ${size} bytes; ${label} may have at most ${maxBytes}.`, 'Check that you picked the right file.');
  }
  return readFile(path);
}

/** A text file (config, script, PEM) as an embedded file; binary content is refused. */
export async function readTextFile(path: string, label = 'this file', maxBytes: number = PROFILE_LIMITS.textFileBytes): Promise<EmbeddedFile> {
  const bytes = await readSmall(path, maxBytes, label);
  try {
    return { name: basename(path), content: utf8.decode(bytes) };
  } catch {
    throw new EmtError('E_FILE_BINARY', `${path} is not a text file, so it cannot be ${label}.`, 'Pick the text file itself, not an archive or an image.');
  }
}

/**
 * A certificate file. DER (binary, or base64 without the PEM armor) is converted to PEM, with a
 * warning saying so; anything else is kept as it is for the validator to judge.
 */
export async function readCertificateFile(path: string): Promise<{ file: EmbeddedFile; findings: Finding[] }> {
  const bytes = await readSmall(path, PROFILE_LIMITS.certificateBytes, 'a certificate');
  const f = new Findings();
  const asText = (() => {
    try {
      return utf8.decode(bytes);
    } catch {
      return null;
    }
  })();
  const der = asText === null ? bytes : /^[A-Za-z0-9+/=\s]+$/.test(asText) && !asText.includes('BEGIN') ? Buffer.from(asText, 'base64') : null;
  if (der) {
    const pem = derToPem(der);
    if (pem) {
      f.warn('W_CERT_CONVERTED', undefined, `${basename(path)} was in DER form and was converted to PEM.`, 'Nothing to do; the media carries the PEM text.');
      return { file: { name: basename(path), content: pem }, findings: f.list };
    }
    if (asText === null) {
      throw new EmtError('E_CERT_DER', `${path} is binary but not a DER certificate.`, 'Pick the CA certificate (a .crt, .pem or .cer file).');
    }
  }
  return { file: { name: basename(path), content: asText ?? '' }, findings: f.list };
}

/** Where EMT-S keeps its installer scripts, seen from the folder the technician picked. */
const BUNDLE_PLACES = ['', 'provisioning_scripts', join('standalone-node', 'provisioning_scripts')];

/**
 * The EMT-S installer from a folder: install-os.sh and its helpers (`*.sh`, `*.yaml`), as
 * upstream's build copies them into /etc/scripts. The picked folder may be the scripts folder
 * itself or a checkout of the EMT-S repository.
 */
export async function readInstallerFolder(dir: string): Promise<InstallerBundle> {
  for (const place of BUNDLE_PLACES) {
    const from = join(dir, place);
    let names: string[];
    try {
      names = (await readdir(from, { withFileTypes: true })).filter((d) => d.isFile()).map((d) => d.name);
    } catch {
      continue;
    }
    if (!names.includes(INSTALLER_ENTRY)) continue;
    const taken = names.filter((n) => /\.(sh|ya?ml)$/.test(n)).sort();
    const files: EmbeddedFile[] = [];
    for (const name of taken) files.push(await readTextFile(join(from, name), 'an installer script'));
    return { files, skipped: names.filter((n) => !taken.includes(n)).sort(), from };
  }
  throw new EmtError('E_INSTALLER_NOT_FOUND', `${dir} does not hold ${INSTALLER_ENTRY} (looked in it and in provisioning_scripts/).`, 'Pick the provisioning_scripts folder of EMT Standalone Node.');
}

export interface InstallerBundle {
  files: EmbeddedFile[];
  /** Files beside install-os.sh that are not taken (units, docs, binaries). */
  skipped: string[];
  /** The folder (or the folder inside the archive) they came from. */
  from: string;
}

/** The EMT-S installer from a folder or a tarball (.tar, .tar.gz, .tar.xz, .tar.zst). */
export async function readInstallerBundle(path: string): Promise<InstallerBundle> {
  const s = await stat(path).catch((e: unknown) => {
    throw toEmtError(e, 'Cannot read the installer');
  });
  return s.isDirectory() ? readInstallerFolder(path) : readInstallerTarball(path);
}

/** What a repository tarball's scripts and YAML files may add up to before the import gives up. */
const MAX_TARBALL_TEXT = 32 << 20;

async function readInstallerTarball(path: string): Promise<InstallerBundle> {
  const byDir = new Map<string, { names: string[]; files: EmbeddedFile[]; binary: string[] }>();
  let kept = 0;
  for await (const entry of readTar(decompress(createReadStream(path)))) {
    if (entry.type !== 'file') continue;
    const rel = safeMemberPath(entry.path);
    const dir = posix.dirname(rel);
    const name = posix.basename(rel);
    const slot = byDir.get(dir) ?? { names: [], files: [], binary: [] };
    byDir.set(dir, slot);
    slot.names.push(name);
    if (!/\.(sh|ya?ml)$/.test(name) || entry.size > PROFILE_LIMITS.textFileBytes) continue;
    kept += entry.size;
    if (kept > MAX_TARBALL_TEXT) {
      throw new EmtError('E_INSTALLER_TOO_LARGE', `${path} holds more than ${MAX_TARBALL_TEXT >> 20} MiB of scripts and YAML files.`, 'Pack only the provisioning_scripts folder of EMT-S, or pick that folder itself.');
    }
    const chunks: Buffer[] = [];
    for await (const c of entry.body) chunks.push(c);
    try {
      slot.files.push({ name, content: utf8.decode(Buffer.concat(chunks)) });
    } catch {
      slot.binary.push(name);
    }
  }
  // The shallowest folder holding install-os.sh: the scripts folder itself, or inside a checkout.
  const found = [...byDir.entries()].filter(([, v]) => v.names.includes(INSTALLER_ENTRY)).sort(([a], [b]) => a.split('/').length - b.split('/').length)[0];
  if (!found) {
    throw new EmtError('E_INSTALLER_NOT_FOUND', `${path} does not hold ${INSTALLER_ENTRY}.`, 'Pick the archive (or folder) with the provisioning_scripts of EMT Standalone Node.');
  }
  const [dir, slot] = found;
  const files = slot.files.sort((a, b) => (a.name < b.name ? -1 : 1));
  const taken = new Set(files.map((f) => f.name));
  return { files, skipped: slot.names.filter((n) => !taken.has(n)).sort(), from: dir === '.' ? path : `${path}:${dir}` };
}
