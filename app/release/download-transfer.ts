import { createHash } from 'node:crypto';
import { open, unlink, type FileHandle } from 'node:fs/promises';
import { EmtError, toEmtError } from '../errors';
import { ProgressMeter, type OnProgress } from '../jobs/progress';
import { httpRequest, interruptedError, isRetryable, retryAfterMs, statusError, type HttpResponse, type HttpTuning } from './download-http';
import { proxyFor, type ProxyConfig } from './download-proxy';
import { discardPart, readPartState, writePartState, type PartFiles, type PartState, type PrefixMark } from './download-part';
import { PartWriter } from './download-part-writer';
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
  /** Record how far the bytes go at least this often (bytes, ms). */
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

/** Small enough that a batch is still in the CPU cache when the writer hashes it (measured best). */
const BATCH = 1 << 20;
const EMPTY_SHA256 = createHash('sha256').digest('hex');
const PROGRESS_RESETS_RETRIES = 64 << 10;
const MAX_BACKLOG = 16 << 20;
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
  private writer!: PartWriter;
  private state: PartState | null = null;
  private offset = 0;
  private downloaded = 0;
  private resumedFrom = 0;
  private saving: Promise<void> | null = null;
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

  /** Open the .part and keep the longest prefix that still hashes as recorded. */
  private async openPart(): Promise<void> {
    const { files, id, url } = this.o;
    let state = await readPartState(files);
    if (state && (state.url !== url || state.id !== id)) state = null;
    // Across restarts only a validator proves the server still has the same file.
    if (state && !state.isComplete && !state.etag && !state.lastModified) state = null;
    if (!state) await discardPart(files);
    this.fh = await open(files.part, state ? 'r+' : 'w');
    const check = new ProgressMeter('check', state?.marks.at(-1)?.bytes ?? 0, this.o.onProgress, { target: id });
    this.writer = new PartWriter(files.part, (n) => check.set(n));
    if (state) {
      this.offset = await this.writer.resume(state.marks);
      state.marks = state.marks.filter((m) => m.bytes <= this.offset);
      state.isComplete &&= state.total === this.offset;
    }
    this.state = state;
    // Only a .part that is kept can be longer than its good prefix. A new one is empty already, and
    // truncating it would cost a flush on close: ext4 writes out a file truncated to 0 when it is
    // closed (auto_da_alloc), 0.3 s for 1 GiB.
    if (state) await this.fh.truncate(this.offset);
    this.lastCheckpoint.bytes = this.offset;
    this.resumedFrom = this.offset;
  }

  /** Bytes written to the .part and hashed, as a prefix mark. */
  private get written(): PrefixMark {
    return this.writer.lastMark ?? { bytes: 0, sha256: EMPTY_SHA256 };
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
      this.state = { id: this.o.id, url: this.o.url, etag: header(res, 'etag'), lastModified: header(res, 'last-modified'), total: length, marks: [], isComplete: false };
      // Saved beside the body, not before it: the first checkpoint waits for it.
      await this.saving;
      this.saving = writePartState(this.o.files, this.state).then(() => {
        this.saving = null;
      });
      this.saving.catch(() => undefined);
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
    // Reading the socket never waits for the disk (a reader that stalls makes the sender stall,
    // and on a busy machine it wakes up late): the socket reads straight into a batch of shared
    // memory, and full batches go to the writer, which writes and hashes them in order. Only a
    // backlog of MAX_BACKLOG bytes not yet written pauses the socket. Batches come back for reuse.
    const spare: Buffer[] = [];
    let batch = PartWriter.buffer(BATCH);
    let filled = 0;
    let backlog = 0;
    let isPaused = false;
    let failure: unknown = null;
    const giveBack = (buf: Buffer, length: number) => {
      backlog -= length;
      spare.push(buf);
      if (isPaused && backlog < MAX_BACKLOG) {
        isPaused = false;
        res.resume();
      }
    };
    const flush = () => {
      const full = batch;
      const length = filled;
      backlog += length;
      // A failed write (ENOSPC) stops the transfer; its error is thrown once the writer is done.
      this.writer.write(full, length, this.offset).then(
        () => giveBack(full, length),
        (e: unknown) => {
          failure ??= e;
          res.close();
        },
      );
      batch = spare.pop() ?? PartWriter.buffer(BATCH);
      filled = 0;
      if (backlog >= MAX_BACKLOG && !isPaused) {
        isPaused = true;
        res.pause();
      }
    };
    try {
      await res.read(
        (buf, start, end) => {
          const n = end - start;
          // A Content-Range total smaller than what the server then sends.
          if (total !== null && this.offset + n > total) throw sizeMismatch(this.o.url, total, this.offset + n);
          if (buf.buffer === batch.buffer && buf.byteOffset + start === batch.byteOffset + filled) {
            // Read in place (readInto): the bytes are where they belong.
            filled += n;
            this.offset += n;
            if (filled === BATCH) flush();
          } else {
            // From elsewhere (the buffer the response head came in), or behind chunk framing in
            // this batch (moved down, which Buffer.copy allows): copy.
            for (let at = start; at < end; ) {
              const copied = buf.copy(batch, filled, at, end);
              at += copied;
              filled += copied;
              this.offset += copied;
              if (filled === BATCH) flush();
            }
          }
          this.downloaded += n;
          this.meter?.set(this.offset - this.meterBase);
          this.checkpoint(false).catch(() => undefined);
        },
        { readInto: () => batch.subarray(filled) },
      );
    } finally {
      // Bytes that arrived are good whatever ended the body: keep them for the next attempt.
      if (filled > 0) flush();
      await this.writer.digest();
    }
    if (failure) throw failure;
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
    await this.saving;
    // The .part stays open and in place; only its description goes.
    await unlink(this.o.files.state).catch(() => undefined);
    await this.fh.truncate(0);
    this.offset = 0;
    this.lastCheckpoint.bytes = 0;
    this.writer.reset();
    this.state = null;
    this.resumedFrom = 0;
  }

  /**
   * Record how far the bytes go (with a prefix mark) at most every `checkpoint.bytes` or
   * `checkpoint.ms`. Marks are kept about every `checkpoint.bytes`, plus the latest, so a resume
   * after damage loses at most that much. Saving runs beside the transfer; a forced one waits.
   */
  private async checkpoint(force: boolean): Promise<void> {
    const every = this.o.checkpoint ?? DEFAULT_CHECKPOINT;
    const now = performance.now();
    // A forced checkpoint (an error, a cancel) waits for the worker to hash all that was written.
    const mark = force ? await this.writer.digest() : this.written;
    const isDue = mark.bytes - this.lastCheckpoint.bytes >= every.bytes || now - this.lastCheckpoint.at >= every.ms;
    if (this.saving && !force) return;
    await this.saving;
    const state = this.state;
    if (!state || (!force && !isDue) || mark.bytes === (state.marks.at(-1)?.bytes ?? 0)) return;
    const kept = state.marks.filter((m, i) => i < state.marks.length - 1 || m.bytes - (state.marks.at(-2)?.bytes ?? 0) >= every.bytes);
    state.marks = [...kept, mark];
    this.lastCheckpoint = { bytes: mark.bytes, at: now };
    this.saving = writePartState(this.o.files, { ...state, marks: [...state.marks] }).then(() => {
      this.saving = null;
    });
    this.saving.catch(() => undefined);
    if (force) await this.saving;
  }

  private async finishPart(): Promise<void> {
    await this.saving;
    await this.fh.truncate(this.offset);
    const end = await this.writer.digest();
    if (end.bytes !== this.offset) throw new Error(`hashed ${end.bytes} of ${this.offset} bytes`);
    this.state = { ...this.state!, total: this.state!.total ?? this.offset, marks: [...this.state!.marks, end], isComplete: true };
    await writePartState(this.o.files, this.state);
    this.meter?.finish();
  }

  private async result(): Promise<TransferResult> {
    const { sha256 } = await this.writer.digest();
    return { size: this.offset, sha256, resumedFrom: this.resumedFrom, bytesDownloaded: this.downloaded };
  }

  async close(): Promise<void> {
    await this.saving?.catch(() => undefined);
    await this.writer?.close();
    await this.fh?.close().catch(() => undefined);
  }
}

function header(res: HttpResponse, name: string): string | null {
  const v = res.headers[name];
  return typeof v === 'string' && v ? v : null;
}

function inconsistent(url: string, why: string): EmtError {
  return new EmtError('E_DOWNLOAD_INCONSISTENT', `The server's answers for ${url} contradict each other (${why}).`, 'The file may be changing on the server. Try again later.');
}

function sizeMismatch(url: string, expected: number, actual: number): EmtError {
  return new EmtError(
    'E_DOWNLOAD_SIZE_MISMATCH',
    `${url} has ${actual} bytes where ${expected} were expected.`,
    'The server or the catalog is wrong, or a proxy changed the file. Nothing was kept; check the catalog entry.',
    { details: { url, expected, actual } },
  );
}
