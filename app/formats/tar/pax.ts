import { EmtError } from '../../errors';

/** Largest pax extended header we read; real ones are a few hundred bytes. */
export const MAX_PAX_SIZE = 1 << 20;

/**
 * pax extended header records (POSIX.1-2017 pax, "pax Extended Header"): `"%d %s=%s\n"`, where the
 * decimal length counts the whole record, its own digits included. Values are UTF-8.
 */
export function encodeRecords(records: ReadonlyArray<readonly [string, string | Buffer]>): Buffer {
  const out: Buffer[] = [];
  for (const [key, value] of records) {
    const body = Buffer.concat([Buffer.from(` ${key}=`, 'utf8'), typeof value === 'string' ? Buffer.from(value, 'utf8') : value, Buffer.from('\n')]);
    // The length includes its own digits: grow the digit count until it is stable.
    let n = body.length + 1;
    while (String(n).length + body.length !== n) n = String(n).length + body.length;
    out.push(Buffer.from(String(n), 'latin1'), body);
  }
  return Buffer.concat(out);
}

/** Parses records; values stay raw bytes (a path may not be UTF-8 under `hdrcharset=BINARY`). */
export function parseRecords(data: Buffer, offset: number): Map<string, Buffer> {
  const bad = () =>
    new EmtError('E_TAR_BAD_PAX', `The pax extended header at byte ${offset} is malformed.`, 'The archive is damaged. Download or copy it again.', { details: { offset } });
  const out = new Map<string, Buffer>();
  let p = 0;
  while (p < data.length) {
    // Trailing NUL padding after the last record is tolerated (some writers pad).
    if (data[p] === 0) break;
    const space = data.indexOf(0x20, p);
    if (space < 0 || space - p > 20) throw bad();
    const digits = data.toString('latin1', p, space);
    if (!/^[0-9]+$/.test(digits)) throw bad();
    const len = Number(digits);
    const end = p + len;
    if (end > data.length || len <= space - p + 1 || data[end - 1] !== 0x0a) throw bad();
    const record = data.subarray(space + 1, end - 1);
    const eq = record.indexOf(0x3d);
    if (eq <= 0) throw bad();
    out.set(record.toString('utf8', 0, eq), Buffer.from(record.subarray(eq + 1)));
    p = end;
  }
  return out;
}
