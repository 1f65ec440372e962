/**
 * The up-case mapping of the FAT family: how Windows (and every compatible driver) folds a file
 * name to compare it without regard to case. It is the mapping of the exFAT specification's
 * recommended up-case table (exFAT §7.2.5.1, table checksum E619D30D), which exFAT volumes carry
 * and which FAT drivers use for long names. It is Unicode's simple upper-case mapping as it stood
 * in the mid-2000s, with the table's own oddities kept (U+023A and U+023E map to their later-added
 * lower-case forms, U+1FCC and U+1FFC map down to U+1FC3 and U+1FF3). Newer Unicode mappings are
 * deliberately absent: JavaScript's toUpperCase() follows today's Unicode and would give a
 * different table depending on the Node version.
 */

/** [first, last, delta, step]: every `step`-th code unit from first to last maps to itself + delta. */
type CaseRule = readonly [first: number, last: number, delta: number, step?: number];

// Derived from the recommended table; checked byte-for-byte against mkfs.exfat's in the tests.
const RULES: readonly CaseRule[] = [
  // Basic Latin, Latin-1
  [0x0061, 0x007a, -32], [0x00e0, 0x00f6, -32], [0x00f8, 0x00fe, -32], [0x00ff, 0x00ff, 121],
  // Latin Extended-A and -B (mostly pairs: the odd code unit is the small letter)
  [0x0101, 0x012f, -1, 2], [0x0133, 0x0137, -1, 2], [0x013a, 0x0148, -1, 2], [0x014b, 0x0177, -1, 2],
  [0x017a, 0x017e, -1, 2], [0x0180, 0x0180, 195], [0x0183, 0x0185, -1, 2], [0x0188, 0x0188, -1],
  [0x018c, 0x018c, -1], [0x0192, 0x0192, -1], [0x0195, 0x0195, 97], [0x0199, 0x0199, -1],
  [0x019a, 0x019a, 163], [0x019e, 0x019e, 130], [0x01a1, 0x01a5, -1, 2], [0x01a8, 0x01a8, -1],
  [0x01ad, 0x01ad, -1], [0x01b0, 0x01b0, -1], [0x01b4, 0x01b6, -1, 2], [0x01b9, 0x01b9, -1],
  [0x01bd, 0x01bd, -1], [0x01bf, 0x01bf, 56], [0x01c6, 0x01c6, -2], [0x01c9, 0x01c9, -2],
  [0x01cc, 0x01cc, -2], [0x01ce, 0x01dc, -1, 2], [0x01dd, 0x01dd, -79], [0x01df, 0x01ef, -1, 2],
  [0x01f3, 0x01f3, -2], [0x01f5, 0x01f5, -1], [0x01f9, 0x021f, -1, 2], [0x0223, 0x0233, -1, 2],
  [0x023a, 0x023a, 10795], [0x023c, 0x023c, -1], [0x023e, 0x023e, 10792], [0x0242, 0x0242, -1],
  [0x0247, 0x024f, -1, 2],
  // IPA Extensions
  [0x0253, 0x0253, -210], [0x0254, 0x0254, -206], [0x0256, 0x0257, -205],
  [0x0259, 0x0259, -202], [0x025b, 0x025b, -203], [0x0260, 0x0260, -205], [0x0263, 0x0263, -207],
  [0x0268, 0x0268, -209], [0x0269, 0x0269, -211], [0x026b, 0x026b, 10743], [0x026f, 0x026f, -211],
  [0x0272, 0x0272, -213], [0x0275, 0x0275, -214], [0x027d, 0x027d, 10727], [0x0280, 0x0280, -218],
  [0x0283, 0x0283, -218], [0x0288, 0x0288, -218], [0x0289, 0x0289, -69], [0x028a, 0x028b, -217],
  [0x028c, 0x028c, -71], [0x0292, 0x0292, -219],
  // Greek and Coptic
  [0x037b, 0x037d, 130], [0x03ac, 0x03ac, -38],
  [0x03ad, 0x03af, -37], [0x03b1, 0x03c1, -32], [0x03c2, 0x03c2, -31], [0x03c3, 0x03cb, -32],
  [0x03cc, 0x03cc, -64], [0x03cd, 0x03ce, -63], [0x03d9, 0x03ef, -1, 2], [0x03f2, 0x03f2, 7],
  [0x03f8, 0x03f8, -1], [0x03fb, 0x03fb, -1],
  // Cyrillic, Armenian
  [0x0430, 0x044f, -32], [0x0450, 0x045f, -80],
  [0x0461, 0x0481, -1, 2], [0x048b, 0x04bf, -1, 2], [0x04c2, 0x04ce, -1, 2], [0x04cf, 0x04cf, -15],
  [0x04d1, 0x0513, -1, 2], [0x0561, 0x0586, -48],
  // Phonetic Extensions, Latin Extended Additional
  [0x1d7d, 0x1d7d, 3814], [0x1e01, 0x1e95, -1, 2], [0x1ea1, 0x1ef9, -1, 2],
  // Greek Extended
  [0x1f00, 0x1f07, 8], [0x1f10, 0x1f15, 8], [0x1f20, 0x1f27, 8],
  [0x1f30, 0x1f37, 8], [0x1f40, 0x1f45, 8], [0x1f51, 0x1f57, 8, 2], [0x1f60, 0x1f67, 8],
  [0x1f70, 0x1f71, 74], [0x1f72, 0x1f75, 86], [0x1f76, 0x1f77, 100], [0x1f78, 0x1f79, 128],
  [0x1f7a, 0x1f7b, 112], [0x1f7c, 0x1f7d, 126], [0x1f80, 0x1f87, 8], [0x1f90, 0x1f97, 8],
  [0x1fa0, 0x1fa7, 8], [0x1fb0, 0x1fb1, 8], [0x1fb3, 0x1fb3, 9], [0x1fcc, 0x1fcc, -9],
  [0x1fd0, 0x1fd1, 8], [0x1fe0, 0x1fe1, 8], [0x1fe5, 0x1fe5, 7], [0x1ffc, 0x1ffc, -9],
  // Letterlike symbols, number forms, enclosed alphanumerics
  [0x214e, 0x214e, -28], [0x2170, 0x217f, -16], [0x2184, 0x2184, -1], [0x24d0, 0x24e9, -26],
  // Glagolitic, Latin Extended-C, Coptic, Georgian Supplement
  [0x2c30, 0x2c5e, -48], [0x2c61, 0x2c61, -1], [0x2c68, 0x2c6c, -1, 2], [0x2c76, 0x2c76, -1],
  [0x2c81, 0x2ce3, -1, 2], [0x2d00, 0x2d25, -7264],
  // Fullwidth Latin
  [0xff41, 0xff5a, -32],
];

let table: Uint16Array | undefined;

/** The whole mapping, one entry per UTF-16 code unit (65536 entries). */
export function upcaseTable(): Uint16Array {
  if (table) return table;
  const t = new Uint16Array(0x10000);
  for (let c = 0; c < t.length; c++) t[c] = c;
  for (const [first, last, delta, step = 1] of RULES) {
    for (let c = first; c <= last; c += step) t[c] = c + delta;
  }
  table = t;
  return t;
}

/** Up-case a name code unit by code unit (surrogates map to themselves). */
export function upcase(name: string): string {
  const t = upcaseTable();
  let out = '';
  for (let i = 0; i < name.length; i++) out += String.fromCharCode(t[name.charCodeAt(i)]!);
  return out;
}
