import { createReadStream } from 'node:fs';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

/**
 * SHA-256 on a worker thread. Hashing a 600 MiB initramfs takes about as long as writing it; on
 * the main thread the two add up, on a worker they overlap (build machines have two cores at
 * least). Each hash has a fixed shared ring that the worker hashes in place: one memcpy per byte,
 * no per-chunk allocation, flat memory whatever the disk and hash speeds. Hashes share a small
 * pool of workers (one per core, at most two: a build hashes two streams at once, the files for the
 * manifest and the whole image); a worker ends when its last hash does.
 */
const WORKER_CODE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const hashes = new Map();
parentPort.on('message', (m) => {
  if (m.ring) { hashes.set(m.id, { ring: new Uint8Array(m.ring), h: createHash('sha256') }); return; }
  const s = hashes.get(m.id);
  if (!s) return;
  if (m.end) { hashes.delete(m.id); if (m.digest) parentPort.postMessage({ id: m.id, digest: s.h.digest('hex') }); return; }
  s.h.update(s.ring.subarray(m.at, m.at + m.length));
  parentPort.postMessage({ id: m.id, done: m.length });
});
`;

const RING_BYTES = 4 << 20;

interface Listener {
  onDone(n: number): void;
  onDigest(d: string): void;
  onError(e: Error): void;
}

interface Shared {
  worker: Worker;
  users: Map<number, Listener>;
}

const POOL = Math.max(1, Math.min(2, availableParallelism()));
const pool: Shared[] = [];
let nextId = 1;

function attach(id: number, listener: Listener): Shared {
  let shared = pool.length < POOL ? null : pool.reduce((a, b) => (b.users.size < a.users.size ? b : a));
  if (!shared) {
    const worker = new Worker(WORKER_CODE, { eval: true });
    worker.unref();
    const made: Shared = { worker, users: new Map() };
    worker.on('message', (m: { id: number; done?: number; digest?: string }) => {
      const u = made.users.get(m.id);
      if (m.done !== undefined) u?.onDone(m.done);
      else if (m.digest !== undefined) u?.onDigest(m.digest);
    });
    worker.on('error', (e) => {
      for (const u of made.users.values()) u.onError(e);
      pool.splice(pool.indexOf(made), 1);
    });
    pool.push(made);
    shared = made;
  }
  shared.users.set(id, listener);
  return shared;
}

function detach(id: number, shared: Shared): void {
  shared.users.delete(id);
  shared.worker.postMessage({ id, end: true });
  if (shared.users.size === 0) {
    const at = pool.indexOf(shared);
    if (at >= 0) pool.splice(at, 1);
    void shared.worker.terminate();
  }
}

export class OffThreadHash {
  private readonly id = nextId++;
  private readonly ring = new SharedArrayBuffer(RING_BYTES);
  private readonly view = new Uint8Array(this.ring);
  private readonly shared: Shared;
  private readonly worker: Worker;
  private head = 0;
  private pending = 0;
  private waiter: (() => void) | null = null;
  private digestWaiter: { resolve: (d: string) => void; reject: (e: Error) => void } | null = null;
  private result: Promise<string> | null = null;
  private failure: Error | null = null;
  private isAttached = true;

  constructor() {
    this.shared = attach(this.id, {
      onDone: (n) => {
        this.pending -= n;
        this.wake();
      },
      onDigest: (d) => this.digestWaiter?.resolve(d),
      onError: (e) => {
        this.failure = e;
        this.wake();
        this.digestWaiter?.reject(e);
      },
    });
    this.worker = this.shared.worker;
    this.worker.postMessage({ id: this.id, ring: this.ring });
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }

  /** Queue a chunk; resolves once it is copied (the caller may then reuse its buffer). */
  async update(chunk: Uint8Array): Promise<void> {
    let at = 0;
    while (at < chunk.length) {
      if (this.failure) throw this.failure;
      // Bytes are hashed in ring order, so a piece never wraps: it ends at the ring's end at most.
      const room = Math.min(RING_BYTES - this.head, RING_BYTES - this.pending);
      if (room === 0) {
        await new Promise<void>((resolve) => (this.waiter = resolve));
        continue;
      }
      const n = Math.min(room, chunk.length - at);
      this.view.set(chunk.subarray(at, at + n), this.head);
      this.worker.postMessage({ id: this.id, at: this.head, length: n });
      this.pending += n;
      this.head = (this.head + n) % RING_BYTES;
      at += n;
    }
  }

  /** The hex digest of everything queued. */
  digest(): Promise<string> {
    this.result ??= new Promise<string>((resolve, reject) => {
      if (this.failure) return reject(this.failure);
      this.digestWaiter = { resolve, reject };
      this.worker.postMessage({ id: this.id, end: true, digest: true });
    }).finally(() => this.dispose());
    return this.result;
  }

  /** Stop without a digest (a failed or cancelled job); safe to call more than once. */
  dispose(): void {
    if (!this.isAttached) return;
    this.isAttached = false;
    detach(this.id, this.shared);
  }
}

/** sha256 of a file, hashed on a worker so the caller's thread stays free for other work. */
export async function hashFileOffThread(path: string, signal?: AbortSignal): Promise<string> {
  const hash = new OffThreadHash();
  try {
    for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20, signal })) await hash.update(chunk as Buffer);
    return await hash.digest();
  } finally {
    hash.dispose();
  }
}
