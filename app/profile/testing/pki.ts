import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestCert {
  pem: string;
  der: Buffer;
  /** The private key, generated now: tests offer it where a certificate belongs. */
  keyPem: string;
}

/**
 * Certificates made by openssl at test time (no key is ever committed). EC P-256 keeps it fast:
 * a few milliseconds per certificate.
 */
export function makeCert(cn: string, opts: { days?: number; isCa?: boolean } = {}): TestCert {
  const dir = mkdtempSync(join(tmpdir(), 'emt-pki-'));
  try {
    const ext = opts.isCa === false ? ['-addext', 'basicConstraints=critical,CA:FALSE'] : ['-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'];
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', String(opts.days ?? 365), '-subj', `/CN=${cn}`, ...ext], { stdio: 'pipe' });
    execFileSync('openssl', ['x509', '-in', join(dir, 'cert.pem'), '-outform', 'DER', '-out', join(dir, 'cert.der')], { stdio: 'pipe' });
    return { pem: readFileSync(join(dir, 'cert.pem'), 'utf8'), der: readFileSync(join(dir, 'cert.der')), keyPem: readFileSync(join(dir, 'key.pem'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
