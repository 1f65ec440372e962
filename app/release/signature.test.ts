import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeSignature, findSigner, parsePublicKey } from './signature';

// OpenSSL is the independent oracle: it makes the keys and the signatures, we only verify.
const dir = mkdtempSync(join(tmpdir(), 'emt-sig-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function openssl(...args: string[]): Buffer {
  return execFileSync('openssl', args, { stdio: ['ignore', 'pipe', 'pipe'] });
}

function keypair(name: string): { priv: string; pem: string; raw: string } {
  const priv = join(dir, `${name}.key`);
  openssl('genpkey', '-algorithm', 'ed25519', '-out', priv);
  const pem = openssl('pkey', '-in', priv, '-pubout').toString('utf8');
  // The SPKI DER of an ed25519 key is a 12-byte header followed by the 32 raw key bytes.
  const der = openssl('pkey', '-in', priv, '-pubout', '-outform', 'DER');
  return { priv, pem, raw: der.subarray(der.length - 32).toString('base64') };
}

function sign(priv: string, data: Buffer): Buffer {
  const inFile = join(dir, 'data');
  writeFileSync(inFile, data);
  openssl('pkeyutl', '-sign', '-rawin', '-inkey', priv, '-in', inFile, '-out', join(dir, 'sig'));
  return readFileSync(join(dir, 'sig'));
}

describe('catalog signatures', () => {
  const a = keypair('a');
  const b = keypair('b');
  const data = Buffer.from('{"schemaVersion":1,"name":"test","releases":[]}\n');
  const sig = sign(a.priv, data);

  it('accepts a signature by a trusted key given as PEM or as base64 raw bytes, with the same fingerprint', () => {
    const fromPem = parsePublicKey(a.pem);
    const fromRaw = parsePublicKey(a.raw);
    expect(fromPem.fingerprint).toBe(fromRaw.fingerprint);
    expect(fromPem.fingerprint).toMatch(/^[0-9a-f]{16}$/);
    expect(findSigner(data, decodeSignature(sig)!, [parsePublicKey(b.pem), fromRaw])).toBe(fromRaw);
    expect(findSigner(data, decodeSignature(Buffer.from(sig.toString('base64') + '\n'))!, [fromPem])).toBe(fromPem);
  });

  it('finds no signer for changed data or an untrusted key', () => {
    const changed = Buffer.from(data);
    changed[5] = changed[5]! ^ 1;
    expect(findSigner(changed, sig, [parsePublicKey(a.pem)])).toBeNull();
    expect(findSigner(data, sig, [parsePublicKey(b.raw)])).toBeNull();
  });

  it('refuses keys that are not ed25519 and signature files that are not 64 bytes', () => {
    const rsa = openssl('genpkey', '-algorithm', 'rsa', '-pkeyopt', 'rsa_keygen_bits:1024').toString();
    writeFileSync(join(dir, 'rsa.key'), rsa);
    const rsaPub = openssl('pkey', '-in', join(dir, 'rsa.key'), '-pubout').toString();
    expect(() => parsePublicKey(rsaPub)).toThrow(expect.objectContaining({ code: 'E_CATALOG_KEY_INVALID' }));
    expect(() => parsePublicKey('c2hvcnQ=')).toThrow(expect.objectContaining({ code: 'E_CATALOG_KEY_INVALID' }));
    expect(decodeSignature(Buffer.from('not a signature!'))).toBeNull();
    expect(decodeSignature(Buffer.alloc(63))).toBeNull();
  });
});
