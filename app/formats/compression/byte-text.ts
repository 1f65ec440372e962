// ignoreBOM keeps a leading U+FEFF: it is part of the name, not a marker.
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * A stored name (or link target) as text, for cpio and tar alike. Valid UTF-8 is decoded as is;
 * otherwise every byte that is not part of a valid sequence is shown as `\xNN` and every backslash
 * as `\\`, so the text is unambiguous and the raw bytes are kept separately.
 */
export function decodeBytes(raw: Uint8Array): { text: string; isEscaped: boolean } {
  try {
    return { text: decoder.decode(raw), isEscaped: false };
  } catch {
    let text = '';
    let i = 0;
    while (i < raw.length) {
      const n = utf8SequenceLength(raw, i);
      if (n === 0) {
        text += `\\x${raw[i]!.toString(16).padStart(2, '0')}`;
        i += 1;
      } else {
        const s = Buffer.from(raw.subarray(i, i + n)).toString('utf8');
        text += s === '\\' ? '\\\\' : s;
        i += n;
      }
    }
    return { text, isEscaped: true };
  }
}

/** Length of the valid UTF-8 sequence at `i` (RFC 3629 §4), or 0 if there is none. */
function utf8SequenceLength(b: Uint8Array, i: number): number {
  const c = b[i]!;
  if (c < 0x80) return 1;
  let n: number;
  let min: number;
  if (c >= 0xc2 && c <= 0xdf) [n, min] = [2, 0x80];
  else if (c >= 0xe0 && c <= 0xef) [n, min] = [3, 0x800];
  else if (c >= 0xf0 && c <= 0xf4) [n, min] = [4, 0x10000];
  else return 0;
  if (i + n > b.length) return 0;
  let cp = c & (0xff >> (n + 1));
  for (let k = 1; k < n; k++) {
    const cc = b[i + k]!;
    if ((cc & 0xc0) !== 0x80) return 0;
    cp = (cp << 6) | (cc & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  return n;
}
