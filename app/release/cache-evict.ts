/**
 * Least-recently-used eviction, planned as a pure function so that the rule is plain to read and
 * test: drop the oldest-used releases until the cache fits its limit, never one that is protected
 * (in use by a build, or just downloaded), never one that takes no room (referenced in place).
 */
export interface EvictionCandidate {
  id: string;
  bytes: number;
  lastUsedAt: string;
  isProtected: boolean;
}

export function planEviction(candidates: readonly EvictionCandidate[], limitBytes: number | null): string[] {
  let used = candidates.reduce((n, c) => n + c.bytes, 0);
  if (limitBytes === null || used <= limitBytes) return [];
  const oldestFirst = [...candidates].sort((a, b) => a.lastUsedAt.localeCompare(b.lastUsedAt) || a.id.localeCompare(b.id));
  const evict: string[] = [];
  for (const c of oldestFirst) {
    if (used <= limitBytes) break;
    if (c.isProtected || c.bytes === 0) continue;
    evict.push(c.id);
    used -= c.bytes;
  }
  return evict;
}

/** Whether a process still runs (leases and locks of a crashed process are stale). */
export function isProcessAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
