import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';

/**
 * A real HTTP(S) server on 127.0.0.1 for tests and the bench, whose files can be made to fail the
 * ways real networks fail: a connection cut mid-body, a stall, a slow trickle, a lying
 * Content-Length, no Range support, error statuses, different bytes. Faults are queued per path
 * and met one per request, so that "cut, then resume" is two lines in a test.
 */
export interface ServedFile {
  /** The content, or a pattern repeated up to `size` bytes (a large file without the memory). */
  body: Buffer | { pattern: Buffer; size: number };
  /** Strong validator; null sends none. Default: changes whenever the file is served anew. */
  etag?: string | null;
  /** HTTP date; null sends none. */
  lastModified?: string | null;
}

export type Fault =
  | { kind: 'status'; status: number; headers?: Record<string, string> }
  /** Send the headers and this many body bytes, then drop the connection. */
  | { kind: 'cut'; afterBytes: number }
  /** Send this many body bytes, then nothing more while keeping the connection open. */
  | { kind: 'stall'; afterBytes: number }
  /** Send the body in small pieces with a pause between them. */
  | { kind: 'trickle'; bytesPerChunk: number; intervalMs: number }
  /**
   * Announce this Content-Length whatever the file is: a larger one is followed by the real body
   * and a close (the body ends early); a smaller one by exactly that many bytes (a truncated file
   * that looks complete).
   */
  | { kind: 'content-length'; value: number }
  /** Answer 200 with the whole file even when a Range was asked for. */
  | { kind: 'ignore-range' }
  /** Serve these bytes instead of the file's, this once (same length and validators). */
  | { kind: 'body'; body: Buffer };

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  status: number;
  /** First byte served (a resumed request starts past 0). */
  start: number;
}

interface Entry {
  file: ServedFile;
  etag: string | null;
  lastModified: string | null;
}

export class FaultServer {
  readonly requests: RecordedRequest[] = [];
  private readonly files = new Map<string, Entry>();
  private readonly queued = new Map<string, Fault[]>();
  private readonly persistent = new Map<string, Fault>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly sockets = new Set<Socket>();
  private version = 0;

  private constructor(
    private readonly server: http.Server,
    readonly origin: string,
  ) {}

  static async start(options: { tls?: { key: string; cert: string } } = {}): Promise<FaultServer> {
    const server = options.tls ? https.createServer(options.tls) : http.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    const fs = new FaultServer(server, `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`);
    server.on('request', (req, res) => fs.handle(req, res));
    server.on(options.tls ? 'secureConnection' : 'connection', (s: Socket) => {
      fs.sockets.add(s);
      s.on('close', () => fs.sockets.delete(s));
    });
    return fs;
  }

  url(path: string): string {
    return `${this.origin}${path}`;
  }

  /** Serve `file` at `path`, replacing what was there (with a new validator unless one is given). */
  serve(path: string, file: ServedFile): void {
    this.version++;
    const size = sizeOf(file.body);
    this.files.set(path, {
      file,
      etag: file.etag === undefined ? `"v${this.version}-${size}"` : file.etag,
      lastModified: file.lastModified === undefined ? new Date(Date.UTC(2026, 4, 26, 12, 0, this.version)).toUTCString() : file.lastModified,
    });
  }

  remove(path: string): void {
    this.files.delete(path);
  }

  /** The next requests for `path` meet these faults, one each, in order. */
  inject(path: string, ...faults: Fault[]): void {
    this.queued.set(path, [...(this.queued.get(path) ?? []), ...faults]);
  }

  /** Every request for `path` meets `fault` until it is set to null. */
  always(path: string, fault: Fault | null): void {
    if (fault) this.persistent.set(path, fault);
    else this.persistent.delete(path);
  }

  async close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    for (const s of this.sockets) s.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0]!;
    const fault = this.queued.get(path)?.shift() ?? this.persistent.get(path);
    const record = (status: number, start = 0) => this.requests.push({ method: req.method ?? 'GET', path, headers: req.headers, status, start });
    const entry = this.files.get(path);
    if (fault?.kind === 'status') {
      record(fault.status);
      res.writeHead(fault.status, { 'content-type': 'text/plain', ...fault.headers });
      res.end(`injected ${fault.status}\n`);
      return;
    }
    if (!entry) {
      record(404);
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found\n');
      return;
    }
    const size = sizeOf(entry.file.body);
    const range = fault?.kind === 'ignore-range' ? null : parseRange(req.headers.range, size);
    const ifRange = req.headers['if-range'];
    // RFC 9110 §13.1.5: serve the range only if the validator still matches, else the whole file.
    const isRangeValid = range !== null && (!ifRange || ifRange === entry.etag || ifRange === entry.lastModified);
    if (range === 'unsatisfiable' && isRangeValid) {
      record(416);
      res.writeHead(416, { 'content-range': `bytes */${size}` });
      res.end();
      return;
    }
    const [start, end] = isRangeValid && range !== 'unsatisfiable' && range !== null ? range : [0, size - 1];
    const status = isRangeValid && range !== null ? 206 : 200;
    const headers: Record<string, string | number> = { 'accept-ranges': 'bytes', 'content-type': 'application/octet-stream', 'content-length': end - start + 1 };
    if (status === 206) headers['content-range'] = `bytes ${start}-${end}/${size}`;
    if (entry.etag) headers.etag = entry.etag;
    if (entry.lastModified) headers['last-modified'] = entry.lastModified;
    record(status, start);
    const body = fault?.kind === 'body' ? { ...entry.file, body: fault.body } : entry.file;
    if (fault?.kind === 'content-length') {
      // Raw bytes on the socket: Node's server would refuse to send a body that contradicts its length.
      const socket = res.socket!;
      const head = Object.entries({ ...headers, 'content-length': fault.value, connection: 'close' }).map(([k, v]) => `${k}: ${v}\r\n`).join('');
      socket.write(`HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\n${head}\r\n`);
      void this.pump(body.body, start, Math.min(end + 1, start + fault.value), (c) => socket.write(c), () => socket.end(), { kind: 'none' });
      return;
    }
    res.writeHead(status, headers);
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    const limit = fault?.kind === 'cut' || fault?.kind === 'stall' ? start + fault.afterBytes : Infinity;
    void this.pump(
      body.body,
      start,
      Math.min(end + 1, limit),
      (c) => res.write(c),
      () => {
        if (fault?.kind === 'cut') res.socket?.destroy();
        else if (fault?.kind !== 'stall') res.end();
      },
      fault?.kind === 'trickle' ? fault : { kind: 'none' },
      res,
    );
  }

  private async pump(
    body: ServedFile['body'],
    from: number,
    to: number,
    write: (chunk: Buffer) => boolean,
    done: () => void,
    pace: { kind: 'none' } | { kind: 'trickle'; bytesPerChunk: number; intervalMs: number },
    res?: ServerResponse,
  ): Promise<void> {
    const step = pace.kind === 'trickle' ? pace.bytesPerChunk : 256 << 10;
    for (let off = from; off < to; ) {
      if (res?.destroyed) return;
      const chunk = slice(body, off, Math.min(to, off + step));
      off += chunk.length;
      const isFlowing = write(chunk);
      if (pace.kind === 'trickle' && off < to) await this.wait(pace.intervalMs);
      else if (!isFlowing && res) await drained(res);
    }
    done();
  }

  private wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.timers.delete(t);
        resolve();
      }, ms);
      this.timers.add(t);
    });
  }
}

/** Until the response can take more, or is gone (listeners removed either way). */
function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

function sizeOf(body: ServedFile['body']): number {
  return Buffer.isBuffer(body) ? body.length : body.size;
}

function slice(body: ServedFile['body'], from: number, to: number): Buffer {
  if (Buffer.isBuffer(body)) return body.subarray(from, to);
  const { pattern } = body;
  const at = from % pattern.length;
  if (at + (to - from) <= pattern.length) return pattern.subarray(at, at + (to - from));
  const out = Buffer.allocUnsafe(to - from);
  for (let o = 0; o < out.length; ) o += pattern.copy(out, o, (from + o) % pattern.length);
  return out;
}

/** RFC 9110 §14.1.2, the one form a downloader sends: `bytes=first-[last]`. */
function parseRange(header: string | undefined, size: number): [number, number] | 'unsatisfiable' | null {
  const m = header ? /^bytes=(\d+)-(\d*)$/.exec(header) : null;
  if (!m) return null;
  const first = Number(m[1]);
  const last = m[2] ? Math.min(Number(m[2]), size - 1) : size - 1;
  if (first >= size || first > last) return 'unsatisfiable';
  return [first, last];
}
