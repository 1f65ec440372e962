import type { EmbeddedFile } from '../../app/contract/profile';

/** Certificates and configs are small; a dropped file over this is the wrong file. */
export const MAX_DROPPED_BYTES = 1 << 20;

export type DroppedFileResult = { ok: true; file: EmbeddedFile } | { ok: false; reason: 'too-big' | 'not-text' | 'unreadable' };

/** RFC 7468 §2: base64 in lines of 64 between the BEGIN and END lines. */
export function pemArmor(bytes: Uint8Array, label = 'CERTIFICATE'): string {
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  const b64 = btoa(binary);
  return `-----BEGIN ${label}-----\n${b64.replace(/.{64}/g, '$&\n').replace(/\n$/, '')}\n-----END ${label}-----\n`;
}

/** FileReader rather than Blob.arrayBuffer(): the same code then runs in jsdom, which lacks the latter. */
function readBytes(file: Blob): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(new Uint8Array(reader.result as ArrayBuffer));
    reader.onerror = () => reject(reader.error);
    reader.readAsArrayBuffer(file);
  });
}

/**
 * The content of a dropped file as profile text. A binary certificate (DER) is armoured as PEM,
 * as the file dialog does in main; the engine then checks it like any other certificate.
 */
export async function readDroppedFile(file: Blob & { name: string }, isCertificate: boolean): Promise<DroppedFileResult> {
  if (file.size > MAX_DROPPED_BYTES) return { ok: false, reason: 'too-big' };
  let bytes: Uint8Array;
  try {
    bytes = await readBytes(file);
  } catch {
    return { ok: false, reason: 'unreadable' };
  }
  try {
    return { ok: true, file: { name: file.name, content: new TextDecoder('utf-8', { fatal: true }).decode(bytes) } };
  } catch {
    return isCertificate ? { ok: true, file: { name: file.name, content: pemArmor(bytes) } } : { ok: false, reason: 'not-text' };
  }
}
