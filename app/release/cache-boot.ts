import { readFileSync } from 'node:fs';
import { uptime } from 'node:os';

/**
 * An id of the machine's current boot. Downloads and imports are published without flushing the
 * gigabytes to disk (curl does not flush either, and a laptop disk would halve the speed); the
 * entry records this id instead. While it is the same, the page cache is the truth; after a
 * reboot (or a power cut) the files may not be what was written, so they are re-hashed before use.
 */
let cached: string | null = null;

export function bootId(): string {
  cached ??= readBootId();
  return cached;
}

function readBootId(): string {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    // Windows and macOS: the boot time to the minute. A wrong "new boot" only costs a re-hash.
    return `boot-${Math.round((Date.now() - uptime() * 1000) / 60_000)}`;
  }
}
