import { X509Certificate } from 'node:crypto';
import { PROFILE_LIMITS, type EmbeddedFile } from '../../contract/profile';
import type { Findings } from '../findings';
import { at } from '../findings';
import { checkTextFile } from './files';

export interface CertificateInfo {
  subject: string;
  notBefore: Date;
  notAfter: Date;
  isCa: boolean;
  /** SHA-256 fingerprint, as `openssl x509 -fingerprint -sha256` prints it. */
  fingerprint256: string;
}

const DAY_MS = 86_400_000;
/** RFC 7468 §2: the textual encoding's armor lines. */
const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;
const PRIVATE_KEY = /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----/;

export function containsPrivateKey(text: string): boolean {
  return PRIVATE_KEY.test(text);
}

export interface CertificateRules {
  label: string;
  isCaRequired: boolean;
  isSingleRequired: boolean;
  now: Date;
}

/**
 * Parse and judge a PEM certificate file. Every problem becomes a finding; the parsed
 * certificates come back for the summary (null when the file is unusable).
 */
export function checkCertificateFile(f: Findings, field: string, file: EmbeddedFile, rules: CertificateRules): CertificateInfo[] | null {
  const { label } = rules;
  const content = at(field, 'content');
  if (containsPrivateKey(file.content)) {
    f.error(
      'E_CERT_PRIVATE_KEY',
      content,
      `${label} (${file.name}) holds a private key, not a certificate. It is refused: a private key must never travel on installer media or in a profile.`,
      'Pick the CA certificate (a file with "BEGIN CERTIFICATE"), and keep the key where it was.',
    );
    return null;
  }
  if (looksLikeDer(file.content)) {
    f.error('E_CERT_DER', content, `${label} (${file.name}) is in binary DER form; PEM text is needed.`, `Import the file again (it is converted), or convert it: openssl x509 -inform der -in ${file.name} -out ca.pem`);
    return null;
  }
  if (!checkTextFile(f, field, file, label, PROFILE_LIMITS.certificateBytes)) return null;
  const blocks = [...file.content.matchAll(PEM_BLOCK)];
  if (blocks.length === 0) {
    f.error('E_CERT_NOT_PEM', content, `${label} (${file.name}) is not a PEM certificate (no "BEGIN CERTIFICATE" line).`, 'Pick the CA certificate file the orchestrator administrator gave you (often ca.crt or ca.pem).');
    return null;
  }
  const other = blocks.find((b) => b[1] !== 'CERTIFICATE');
  if (other) {
    f.error('E_CERT_WRONG_PEM', content, `${label} (${file.name}) holds a "${other[1]}" block, not a certificate.`, 'Pick the certificate itself (a file with "BEGIN CERTIFICATE").');
    return null;
  }
  const infos: CertificateInfo[] = [];
  for (const [index, block] of blocks.entries()) {
    let cert: X509Certificate;
    try {
      cert = new X509Certificate(block[0]);
    } catch {
      f.error('E_CERT_PARSE', content, `${label} (${file.name}): certificate ${index + 1} is damaged and cannot be read.`, 'Copy the file again from its source; a line may have been cut or changed.');
      return null;
    }
    infos.push({
      subject: cert.subject.replace(/\n/g, ', '),
      notBefore: new Date(cert.validFrom),
      notAfter: new Date(cert.validTo),
      isCa: cert.ca,
      fingerprint256: cert.fingerprint256,
    });
  }
  if (rules.isSingleRequired && infos.length > 1) {
    f.error('E_CERT_SEVERAL', content, `${label} (${file.name}) holds ${infos.length} certificates; exactly one is expected here.`, 'Keep only the CA certificate itself; put a second CA in the provisioning CA field.');
  }
  for (const info of infos) judge(f, content, file.name, info, rules);
  return infos;
}

function judge(f: Findings, field: string, name: string, c: CertificateInfo, rules: CertificateRules): void {
  const who = `${rules.label} (${name}, ${c.subject})`;
  const now = rules.now.getTime();
  if (now > c.notAfter.getTime()) {
    f.error('E_CERT_EXPIRED', field, `${who} expired on ${day(c.notAfter)}.`, 'Ask the orchestrator administrator for the current CA certificate.');
  } else if (now < c.notBefore.getTime()) {
    f.error('E_CERT_NOT_YET_VALID', field, `${who} is valid only from ${day(c.notBefore)}.`, "Check this computer's clock, or wait until the certificate is valid.");
  } else if (c.notAfter.getTime() - now < 30 * DAY_MS) {
    const days = Math.floor((c.notAfter.getTime() - now) / DAY_MS);
    f.warn('W_CERT_EXPIRING', field, `${who} expires in ${days} days (${day(c.notAfter)}); media built with it stop working then.`, 'Ask the orchestrator administrator whether a renewed CA is coming, and rebuild the media after it.');
  }
  if (rules.isCaRequired && !c.isCa) {
    f.error('E_CERT_NOT_CA', field, `${who} is not a CA certificate (no CA:TRUE basic constraint), so the node cannot trust servers with it.`, "Pick the CA that signed the orchestrator's certificates, not a server certificate.");
  }
}

function day(d: Date): string {
  return d.toISOString().slice(0, 10);
}

/**
 * DER read as text: a SEQUENCE tag (0x30) then a long-form length (0x82), or bytes that are not
 * text at all. A file read through a UTF-8 decoder shows the latter as U+FFFD.
 */
function looksLikeDer(text: string): boolean {
  if (text.includes('BEGIN ')) return false;
  const c1 = text.charCodeAt(1);
  // eslint-disable-next-line no-control-regex
  return text.charCodeAt(0) === 0x30 && (c1 === 0x82 || c1 === 0x81 || c1 === 0xfffd || /[\x00-\x08\x0e-\x1f]/.test(text.slice(0, 64)));
}

/** A DER certificate converted to PEM text (for import); null when the bytes are not a certificate. */
export function derToPem(der: Buffer): string | null {
  try {
    return new X509Certificate(der).toString();
  } catch {
    return null;
  }
}
