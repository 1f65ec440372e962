import { X509Certificate } from 'node:crypto';

/**
 * Who signed an Authenticode blob: the certificates named by the SignerInfos of a PKCS#7
 * SignedData (RFC 5652 §5). Only a DER walk to find them; no signature is verified here.
 */

export interface Signer {
  /** Common name of the signing certificate's subject (the whole subject when it has no CN). */
  subject: string;
  /** Common name of its issuer. */
  issuer: string;
}

interface Tlv {
  tag: number;
  start: number;
  valueStart: number;
  end: number;
}

// X.690 §8.1: identifier octet, then short or long form length. Only low tag numbers occur here.
function tlvAt(buf: Buffer, off: number, limit: number): Tlv {
  if (off + 2 > limit) throw new Error('DER: truncated header');
  const tag = buf[off]!;
  let len = buf[off + 1]!;
  let p = off + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || p + n > limit) throw new Error('DER: unsupported length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[p + i]!;
    p += n;
  }
  if (p + len > limit) throw new Error('DER: value runs past its parent');
  return { tag, start: off, valueStart: p, end: p + len };
}

function children(buf: Buffer, parent: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let off = parent.valueStart; off < parent.end; ) {
    const t = tlvAt(buf, off, parent.end);
    out.push(t);
    off = t.end;
  }
  return out;
}

function serialHex(bytes: Buffer): string {
  return bytes.toString('hex').toUpperCase().replace(/^0+(?=.)/, '');
}

function commonName(dn: string): string {
  const cn = dn.split('\n').find((l) => l.startsWith('CN='));
  return cn ? cn.slice(3) : dn.split('\n').join(', ');
}

/** Signers of a DER ContentInfo holding SignedData; an unreadable blob yields no signers. */
export function authenticodeSigners(der: Buffer): Signer[] {
  try {
    const contentInfo = tlvAt(der, 0, der.length);
    const [, explicit] = children(der, contentInfo);
    if (!explicit || explicit.tag !== 0xa0) return [];
    const [signedData] = children(der, explicit);
    if (!signedData) return [];
    const parts = children(der, signedData);
    const certSet = parts.find((p) => p.tag === 0xa0); // certificates [0] IMPLICIT
    const signerInfos = parts[parts.length - 1];
    const certs = certSet ? children(der, certSet).map((c) => new X509Certificate(der.subarray(c.start, c.end))) : [];
    const signers: Signer[] = [];
    for (const info of signerInfos && signerInfos.tag === 0x31 ? children(der, signerInfos) : []) {
      const [, sid] = children(der, info);
      if (!sid || sid.tag !== 0x30) continue; // subjectKeyIdentifier form does not occur in Authenticode
      const serial = children(der, sid)[1];
      if (!serial) continue;
      const want = serialHex(der.subarray(serial.valueStart, serial.end));
      const cert = certs.find((c) => serialHex(Buffer.from(c.serialNumber, 'hex')) === want);
      if (cert) signers.push({ subject: commonName(cert.subject), issuer: commonName(cert.issuer) });
    }
    return signers;
  } catch {
    return [];
  }
}
