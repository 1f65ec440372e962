import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { Finding } from '../contract/build';
import { PROFILE_LIMITS, type EmbeddedFile } from '../contract/profile';
import { EmtError, toEmtError } from '../errors';
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
export async function readInstallerFolder(dir: string): Promise<{ files: EmbeddedFile[]; skipped: string[]; from: string }> {
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
