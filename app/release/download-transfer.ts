import { createHash, type Hash } from 'node:crypto';
import { open, stat, unlink, type FileHandle } from 'node:fs/promises';
import { EmtError, throwIfAborted, toEmtError } from '../errors';
import { ProgressMeter, type OnProgress } from '../jobs/progress';
import { httpRequest, interruptedError, isRetryable, retryAfterMs, statusError, type HttpResponse, type HttpTuning } from './download-http';
import { proxyFor, type ProxyConfig } from './download-proxy';
import { discardPart, readPartState, writePartState, type PartFiles, type PartState } from './download-part';
import { backoffMs, DEFAULT_RETRY, sleep, type RetryPolicy } from './download-retry';

/**
 * Bring one URL into a `.part` file, surviving a bad network: resume with an HTTP Range from the
 * bytes already on disk (also after a restart of the app), guarded by If-Range with the server's
 * validator so that a file that changed on the server starts over instead of being spliced;
 * retries with backoff; connect and idle timeouts; progress; cancel. The sha256 is computed on the
 * way. It never decides whether the bytes are right: the caller verifies and publishes them.
 */
export interface TransferOptions {
  id: string;
  url: string;
  files: PartFiles;
  /** Size the catalog announces: a server that announces another is refused early. */
  expectedSize?: number;
  proxy: ProxyConfig;
  tuning?: Partial<HttpTuning>;
  retry?: RetryPolicy;
  ca?: string | Buffer;
  signal?: AbortSignal;
  onProgress?: OnProgress;
  /** Flush to disk and record the length at least this often (bytes, ms). */
  checkpoint?: { bytes: number; ms: number };
}

export interface TransferResult {
  size: number;
  sha256: string;
  /** Offset the transfer resumed from (0 when it started from scratch). */
  resumedFrom: number;
  /** Bytes that came over the network in this call. */
  bytesDownloaded: number;
}

const BATCH = 1 << 20;
const PROGRESS_RESETS_RETRIES = 64 << 10;
const DEFAULT_CHECKPOINT = { bytes: 64 << 20, ms: 2000 };

export async function transfer(opts: TransferOptions): Promise<TransferResult> {
  const t = new Transfer(opts);
  try {
    return await t.run();
  } finally {
    await t.close();
  }
}

class Transfer {
  private fh!: FileHandle;
  private hash: Hash = createHash('sha256');
  private state: PartState | null = null;
  private offset = 0;
  private downloaded = 0;
  /** Bytes whose write to the .part has completed (`offset` runs ahead while a write is in flight). */
  private written = 0;
  private resumedFrom = 0;
  private syncing: Promise<void> | null = null;
  private lastCheckpoint = { bytes: 0, at: performance.now() };
  private meter: ProgressMeter | null = null;
  private meterBase = 0;

  constructor(private readonly o: TransferOptions) {}

  async run(): Promise<TransferResult> {
    await this.openPart();
    if (this.state?.isComplete) return this.result();
    const policy = this.o.retry ?? DEFAULT_RETRY;
    // Furthest offset reached: progress only counts past it (bytes thrown away by a restart do not).
    let highWater = this.offset;
    for (let failures = 0; ; ) {
      const before = highWater;
      let retryAfter: number | null = null;
      try {
        const res = await this.request();
        retryAfter = retryAfterMs(res.headers);
        if ((await this.accept(res)) === 'body') {
          await this.receive(res);
          await this.finishPart();
        }
        return this.result();
      } catch (e) {
        await this.checkpoint(true).catch(() => undefined);
        const err = toEmtError(e, 'The download failed');
        if (!isRetryable(err) && err.code !== 'E_DOWNLOAD_INCONSISTENT') throw err;
        // A connection that made progress earns a fresh set of retries: slow but moving is fine.
        failures = this.offset - before >= PROGRESS_RESETS_RETRIES ? 1 : failures + 1;
        highWater = Math.max(highWater, this.offset);
        if (failures > policy.retries) throw err;
        const delay = backoffMs(failures, policy, retryAfter);
        this.o.onProgress?.({ phase: 'download', done: this.offset, total: this.state?.total ?? this.offset, bytesPerSecond: null, etaSeconds: null, detail: `retry ${failures}/${policy.retries} in ${Math.ceil(delay / 1000)} s: ${err.message}` });
        await sleep(delay, this.o.signal);
      }
    }
  }

  /** Open the .part and decide how much of it can be trusted. */
  private async openPart(): Promise<void> {
    const { files, id, url } = this.o;
    let state = await readPartState(files);
    const onDisk = await stat(files.part).then((s) => s.size, () => 0);
    if (state && (state.url !== url || state.id !== id)) state = null;
    // Across restarts only a validator proves the server still has the same file.
    if (state && !state.isComplete && !state.etag && !state.lastModified) state = null;
    if (!state) await discardPart(files);
    this.state = state;
    this.offset = state ? Math.min(onDisk, state.durableBytes) : 0;
    if (state?.isComplete && this.offset !== state.total) state.isComplete = false;
    this.fh = await open(files.part, state ? 'r+' : 'w');
    await this.fh.truncate(this.offset);
    this.written = this.offset;
    this.resumedFrom = this.offset;
    await this.hashPrefix();
  }

  /** Feed the bytes already on disk into the running hash (the hash state cannot be saved). */
  private async hashPrefix(): Promise<void> {
    const meter = new ProgressMeter('check', this.offset, this.o.onProgress, { target: this.o.id });
    const buf = Buffer.allocUnsafe(BATCH);
    for (let pos = 0; pos < this.offset; ) {
      throwIfAborted(this.o.signal);
      const { bytesRead } = await this.fh.read(buf, 0, Math.min(BATCH, this.offset - pos), pos);
      this.hash.update(buf.subarray(0, bytesRead));
      pos += bytesRead;
      meter.set(pos);
    }
  }

  private request(): Promise<HttpResponse> {
    const headers: Record<string, string> = { 'accept-encoding': 'identity' };
    if (this.offset > 0 && this.state) {
      headers.range = `bytes=${this.offset}-`;
      // RFC 9110 §13.1.5: If-Range needs a strong validator; a weak ETag cannot be used.
      const etag = this.state.etag && !this.state.etag.startsWith('W/') ? this.state.etag : null;
      const validator = etag ?? this.state.lastModified;
      if (validator) headers['if-range'] = validator;
    }
    return httpRequest(this.o.url, { headers, proxy: this.o.proxy, tuning: this.o.tuning, signal: this.o.signal, ca: this.o.ca });
  }

  /** Check the response against what is on disk: take its body, or it says the file is complete. */
  private async accept(res: HttpResponse): Promise<'body' | 'complete'> {
    if (res.status === 206 && this.state) {
      const m = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(String(res.headers['content-range'] ?? ''));
      const total = m && m[3] !== '*' ? Number(m[3]) : null;
      if (!m || Number(m[1]) !== this.offset || (this.state.total !== null && total !== this.state.total)) {
        res.close();
        await this.restart();
        throw inconsistent(this.o.url, 'the server answered a resume with a different part of the file');
      }
      this.startMeter();
      return 'body';
    }
    if (res.status === 200) {
      // The server ignores Range, or the file changed (If-Range failed): take the whole body.
      if (this.offset > 0) await this.restart();
      const length = res.headers['content-length'] === undefined ? null : Number(res.headers['content-length']);
      if (length !== null && this.o.expectedSize !== undefined && length !== this.o.expectedSize) {
        res.close();
        throw sizeMismatch(this.o.url, this.o.expectedSize, length);
      }
      this.state = { id: this.o.id, url: this.o.url, etag: header(res, 'etag'), lastModified: header(res, 'last-modified'), total: length, durableBytes: 0, isComplete: false };
      await writePartState(this.o.files, this.state);
      this.startMeter();
      return 'body';
    }
    res.close();
    if (res.status === 416 && this.state) {
      if (this.state.total !== null && this.offset === this.state.total) {
        await this.finishPart();
        return 'complete';
      }
      await this.restart();
      throw inconsistent(this.o.url, 'the server says the bytes already downloaded do not exist');
    }
    if (res.status === 404 || res.status === 410) await discardPart(this.o.files);
    throw statusError(res.status, res.url, proxyFor(res.url, this.o.proxy));
  }

  private async receive(res: HttpResponse): Promise<void> {
    const total = this.state!.total;
    let batch = Buffer.allocUnsafe(BATCH);
    let filled = 0;
    let writing: Promise<unknown> = Promise.resolve();
    // One write in flight while the next batch fills from the socket.
    const flush = async () => {
      await writing;
      const buf = batch.subarray(0, filled);
      const end = this.offset;
      writing = writeAll(this.fh, buf, end - buf.length).then(() => {
        this.written = end;
      });
      batch = Buffer.allocUnsafe(BATCH);
      filled = 0;
    };
    try {
      for await (const chunk of res.body) {
        // A Content-Range total smaller than what the server then sends.
        if (total !== null && this.offset + chunk.length > total) throw sizeMismatch(this.o.url, total, this.offset + chunk.length);
        this.hash.update(chunk);
        for (let used = 0; used < chunk.length; ) {
          const n = chunk.copy(batch, filled, used);
          used += n;
          filled += n;
          this.offset += n;
          if (filled === BATCH) await flush();
        }
        this.downloaded += chunk.length;
        this.meter?.set(this.offset - this.meterBase);
        await this.checkpoint(false);
      }
    } finally {
      // Bytes that arrived are good whatever ended the body: keep them for the next attempt.
      if (filled > 0) await flush();
      await writing;
    }
    if (total !== null && this.offset < total) throw interruptedError(new URL(this.o.url), `the body ended after ${this.offset} of ${total} bytes`);
  }

  private startMeter(): void {
    const total = this.state?.total ?? this.o.expectedSize ?? 0;
    this.meterBase = this.offset;
    const base = this.offset;
    const on = this.o.onProgress;
    this.meter = new ProgressMeter('download', Math.max(0, total - base), on && ((e) => on({ ...e, done: e.done + base, total: e.total + base })), { target: this.o.id });
  }

  /** Everything from the start: the server no longer has (or never gave) what is on disk. */
  private async restart(): Promise<void> {
    await this.syncing;
    // The .part stays open and in place; only its description goes.
    await unlink(this.o.files.state).catch(() => undefined);
    await this.fh.truncate(0);
    this.offset = 0;
    this.written = 0;
    this.hash = createHash('sha256');
    this.state = null;
    this.resumedFrom = 0;
  }

  /**
   * Make the bytes so far durable and record their length, at most every `checkpoint.bytes` or
   * `checkpoint.ms`. The flush runs beside the transfer (it does not stall the socket); only a
   * forced checkpoint (error, end) waits for it.
   */
  private async checkpoint(force: boolean): Promise<void> {
    const every = this.o.checkpoint ?? DEFAULT_CHECKPOINT;
    const now = performance.now();
    const isDue = this.written - this.lastCheckpoint.bytes >= every.bytes || now - this.lastCheckpoint.at >= every.ms;
    if (this.syncing && !force) return;
    await this.syncing;
    if (!this.state || (!force && !isDue) || this.written === this.state.durableBytes) return;
    this.lastCheckpoint = { bytes: this.written, at: now };
    const at = this.written;
    const state = this.state;
    this.syncing = this.fh
      .datasync()
      .then(() => writePartState(this.o.files, { ...state, durableBytes: at }))
      .then(() => {
        if (this.state === state) state.durableBytes = at;
        this.syncing = null;
      });
    if (force) await this.syncing;
  }

  private async finishPart(): Promise<void> {
    await this.syncing;
    await this.fh.truncate(this.offset);
    await this.fh.datasync();
    this.state = { ...this.state!, total: this.state!.total ?? this.offset, durableBytes: this.offset, isComplete: true };
    await writePartState(this.o.files, this.state);
    this.meter?.finish();
  }

  private result(): TransferResult {
    return { size: this.offset, sha256: this.hash.digest('hex'), resumedFrom: this.resumedFrom, bytesDownloaded: this.downloaded };
  }

  async close(): Promise<void> {
    await this.syncing?.catch(() => undefined);
    await this.fh?.close().catch(() => undefined);
  }
}

/** A write may be short (a disk filling up writes what fits, then fails): write until done. */
async function writeAll(fh: FileHandle, buf: Buffer, position: number): Promise<void> {
  for (let off = 0; off < buf.length; ) {
    const { bytesWritten } = await fh.write(buf, off, buf.length - off, position + off);
    off += bytesWritten;
  }
}

function header(res: HttpResponse, name: string): string | null {
  const v = res.headers[name];
  return typeof v === 'string' && v ? v : null;
}

function inconsistent(url: string, why: string): EmtError {
  return new EmtError('E_DOWNLOAD_INCONSISTENT', `The server's answers for ${url} contradict each other (${why}).`, 'The file may be changing on the server. Try again later.');
}

export function sizeMismatch(url: string, expected: number, actual: number): EmtError {
  return new EmtError(
    'E_DOWNLOAD_SIZE_MISMATCH',
    `${url} has ${actual} bytes where ${expected} were expected.`,
    'The server or the catalog is wrong, or a proxy changed the file. Nothing was kept; check the catalog entry.',
    { details: { url, expected, actual } },
  );
}
