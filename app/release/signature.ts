import { createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';
import { EmtError } from '../errors';

/**
 * Detached ed25519 signatures of catalogs (RFC 8032). A catalog `X` may have `X.sig` beside it:
 * the 64-byte signature of X's exact bytes, raw or base64. Trusted keys are a setting, each the 32
 * raw key bytes in base64 or a PEM "PUBLIC KEY" (SPKI) block, as `openssl pkey -pubout` prints it.
 */
export interface TrustedKey {
  key: KeyObject;
  /** First 16 hex digits of the sha256 of the raw key: short enough to show, long enough to compare. */
  fingerprint: string;
}

export function parsePublicKey(text: string, label = 'catalog key'): TrustedKey {
  const t = text.trim();
  let key: KeyObject;
  try {
    if (t.startsWith('-----BEGIN')) {
      key = createPublicKey({ key: t, format: 'pem' });
    } else {
      const raw = Buffer.from(t, 'base64');
      if (raw.length !== 32 || raw.toString('base64') !== t.replace(/\s+/g, '')) throw new Error('not 32 bytes of base64');
      key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') }, format: 'jwk' });
    }
  } catch (e) {
    throw badKey(label, (e as Error).message, e);
  }
  if (key.asymmetricKeyType !== 'ed25519') throw badKey(label, `it is a ${key.asymmetricKeyType ?? 'unknown'} key`);
  return { key, fingerprint: fingerprintOf(key) };
}

function badKey(label: string, why: string, cause?: unknown): EmtError {
  return new EmtError(
    'E_CATALOG_KEY_INVALID',
    `The ${label} is not an ed25519 public key (${why}).`,
    'Give the key as base64 of its 32 bytes or as a PEM "PUBLIC KEY" block (openssl pkey -pubout).',
    { cause },
  );
}

function fingerprintOf(key: KeyObject): string {
  const jwk = key.export({ format: 'jwk' });
  const raw = Buffer.from(String(jwk.x), 'base64url');
  return createHash('sha256').update(raw).digest('hex').slice(0, 16);
}

/** The 64 signature bytes from a `.sig` file (raw, or base64 text); null if it is neither. */
export function decodeSignature(file: Buffer): Buffer | null {
  if (file.length === 64) return file;
  const text = file.toString('latin1').trim();
  if (!/^[A-Za-z0-9+/=\s]+$/.test(text)) return null;
  const sig = Buffer.from(text.replace(/\s+/g, ''), 'base64');
  return sig.length === 64 ? sig : null;
}

/** The key that made `signature` over `data`, or null when none of the trusted keys did. */
export function findSigner(data: Buffer, signature: Buffer, keys: readonly TrustedKey[]): TrustedKey | null {
  // RFC 8032 §5.1.7: ed25519 signs the message itself; Node takes null as the digest for it.
  return keys.find((k) => verify(null, data, k.key, signature)) ?? null;
}
