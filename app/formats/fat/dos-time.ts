/**
 * DOS date and time, as FAT directory entries and exFAT timestamps store them: a 16-bit date
 * (year since 1980, month, day) and a 16-bit time with 2-second resolution, plus a count of 10 ms
 * units for the odd second. FAT has no time zone; we write UTC so that the same input gives the
 * same bytes on every machine (exFAT additionally records the zone as UTC+0).
 */

export interface DosTime {
  date: number;
  time: number;
  /** 10 ms units past the 2-second `time`, 0..199. */
  centiseconds: number;
}

const MIN = Date.UTC(1980, 0, 1);
// FAT §6.3: the year field is 7 bits from 1980, so 2107-12-31 23:59:58 is the last representable moment.
const MAX = Date.UTC(2107, 11, 31, 23, 59, 59, 990);

/** Encode a moment; times outside 1980..2107 are clamped to the nearest representable one. */
export function toDosTime(when: Date): DosTime {
  const ms = Math.min(MAX, Math.max(MIN, when.getTime()));
  const d = new Date(ms);
  const seconds = d.getUTCSeconds();
  return {
    date: ((d.getUTCFullYear() - 1980) << 9) | ((d.getUTCMonth() + 1) << 5) | d.getUTCDate(),
    time: (d.getUTCHours() << 11) | (d.getUTCMinutes() << 5) | (seconds >> 1),
    centiseconds: (seconds & 1) * 100 + Math.floor(d.getUTCMilliseconds() / 10),
  };
}

/** Decode; an all-zero or malformed date reads as 1980-01-01. */
export function fromDosTime(date: number, time: number, centiseconds = 0): Date {
  const year = 1980 + (date >> 9);
  const month = Math.max(1, Math.min(12, (date >> 5) & 0xf));
  const day = Math.max(1, date & 0x1f);
  const ms = Math.min(199, centiseconds) * 10;
  return new Date(Date.UTC(year, month - 1, day, time >> 11, (time >> 5) & 0x3f, (time & 0x1f) * 2) + ms);
}
