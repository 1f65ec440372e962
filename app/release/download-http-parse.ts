import { EmtError } from '../errors';

/**
 * An HTTP/1.1 response parser (RFC 9112), the subset a downloader meets: a status line, header
 * fields, and a body framed by Content-Length, by chunked transfer coding, or by the connection
 * closing. Bytes are fed as they arrive and body bytes are passed on as slices of the input, so a
 * gigabyte crosses without a copy or an allocation per read. Interim 1xx responses are skipped.
 */
export interface ResponseHead {
  status: number;
  /** Field names in lower case; repeated fields joined with ", " (RFC 9110 §5.3). */
  headers: Record<string, string>;
}

export interface ParserEvents {
  onHead(head: ResponseHead): void;
  /** `buf[start, end)` is body; it is only valid during the call. */
  onBody(buf: Buffer, start: number, end: number): void;
  onEnd(): void;
}

const MAX_HEAD = 64 << 10;
const CRLF2 = Buffer.from('\r\n\r\n');

type State = 'head' | 'fixed' | 'size' | 'data' | 'data-crlf' | 'trailers' | 'close' | 'done';

export class ResponseParser {
  private state: State = 'head';
  private head = Buffer.alloc(0);
  private line = '';
  private left = 0;

  /** `hasNoBody`: the request was HEAD (RFC 9110 §9.3.2: the response never has content). */
  constructor(
    private readonly events: ParserEvents,
    private readonly hasNoBody = false,
  ) {}

  get isDone(): boolean {
    return this.state === 'done';
  }

  /** Whether the body is framed by the connection closing (so a close is its normal end). */
  get isCloseDelimited(): boolean {
    return this.state === 'close';
  }

  feed(buf: Buffer, start = 0, end = buf.length): void {
    let at = start;
    while (at < end && this.state !== 'done') {
      switch (this.state) {
        case 'head':
          at = this.feedHead(buf, at, end);
          break;
        case 'fixed':
        case 'data': {
          const n = Math.min(this.left, end - at);
          this.events.onBody(buf, at, at + n);
          at += n;
          this.left -= n;
          if (this.left === 0) this.finishData();
          break;
        }
        case 'close':
          this.events.onBody(buf, at, end);
          at = end;
          break;
        case 'size':
        case 'data-crlf':
        case 'trailers':
          at = this.feedLine(buf, at, end);
          break;
      }
    }
  }

  /** The connection closed. Ends a close-delimited body; anything else unfinished is an error. */
  close(): void {
    if (this.state === 'done') return;
    if (this.state === 'close') {
      this.state = 'done';
      this.events.onEnd();
      return;
    }
    throw truncated(this.state === 'head' ? 'before the response header was complete' : 'before the body was complete');
  }

  private feedHead(buf: Buffer, at: number, end: number): number {
    const joined = Buffer.concat([this.head, buf.subarray(at, end)]);
    if (joined.length >= 5 && joined.toString('latin1', 0, 5) !== 'HTTP/') throw protocol(`not an HTTP response ("${joined.toString('latin1', 0, 20)}…")`);
    const i = joined.indexOf(CRLF2);
    if (i < 0) {
      if (joined.length > MAX_HEAD) throw protocol('the response header is larger than 64 KiB');
      this.head = joined;
      return end;
    }
    if (i > MAX_HEAD) throw protocol('the response header is larger than 64 KiB');
    const used = i + 4 - this.head.length;
    this.head = Buffer.alloc(0);
    const head = parseHead(joined.subarray(0, i).toString('latin1'));
    if (head.status < 200) return at + used; // RFC 9110 §15.2: interim response, the real one follows
    this.events.onHead(head);
    this.frame(head);
    return at + used;
  }

  /** RFC 9112 §6.3: how the body's length is known. */
  private frame(head: ResponseHead): void {
    const te = head.headers['transfer-encoding'];
    const cl = head.headers['content-length'];
    if (this.hasNoBody || head.status === 204 || head.status === 304) return this.end();
    if (te !== undefined) {
      if (!/(^|,)\s*chunked\s*$/i.test(te)) throw protocol(`unsupported transfer coding "${te}"`);
      this.state = 'size';
      return;
    }
    if (cl !== undefined) {
      const values = new Set(cl.split(',').map((v) => v.trim()));
      const only = [...values][0]!;
      if (values.size !== 1 || !/^\d{1,15}$/.test(only)) throw protocol(`invalid Content-Length "${cl}"`);
      this.left = Number(only);
      this.state = 'fixed';
      if (this.left === 0) this.end();
      return;
    }
    this.state = 'close';
  }

  private finishData(): void {
    if (this.state === 'fixed') this.end();
    else this.state = 'data-crlf';
  }

  private end(): void {
    this.state = 'done';
    this.events.onEnd();
  }

  /** Chunk-size lines, the CRLF after chunk data, and trailer lines (RFC 9112 §7.1). */
  private feedLine(buf: Buffer, at: number, end: number): number {
    const nl = buf.indexOf(10, at);
    const stop = nl < 0 || nl >= end ? end : nl + 1;
    this.line += buf.toString('latin1', at, stop);
    if (this.line.length > 4096) throw protocol('a chunk line is too long');
    if (!this.line.endsWith('\n')) return stop;
    const line = this.line.replace(/\r?\n$/, '');
    this.line = '';
    if (this.state === 'data-crlf') {
      if (line !== '') throw protocol('chunk data is not followed by CRLF');
      this.state = 'size';
    } else if (this.state === 'size') {
      const m = /^([0-9a-fA-F]{1,12})[ \t]*(;.*)?$/.exec(line);
      if (!m) throw protocol(`invalid chunk size line "${line.slice(0, 40)}"`);
      this.left = parseInt(m[1]!, 16);
      this.state = this.left === 0 ? 'trailers' : 'data';
    } else if (line === '') {
      this.end();
    }
    return stop;
  }
}

function parseHead(text: string): ResponseHead {
  const [statusLine = '', ...lines] = text.split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})(?: .*)?$/.exec(statusLine);
  if (!m) throw protocol(`not an HTTP/1.1 status line: "${statusLine.slice(0, 60)}"`);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    // RFC 9112 §5.2: obsolete line folding must be rejected (or replaced); we reject.
    const f = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+):[ \t]*(.*?)[ \t]*$/.exec(line);
    if (!f) throw protocol(`invalid header line "${line.slice(0, 60)}"`);
    const name = f[1]!.toLowerCase();
    headers[name] = headers[name] === undefined ? f[2]! : `${headers[name]}, ${f[2]!}`;
  }
  return { status: Number(m[1]), headers };
}

function protocol(why: string): EmtError {
  return new EmtError('E_HTTP_PROTOCOL', `The server sent a malformed HTTP response: ${why}.`, 'A proxy or the server is misbehaving. Try again, or try without the proxy.');
}

function truncated(when: string): EmtError {
  return new EmtError('E_NETWORK_INTERRUPTED', `The connection closed ${when}.`, 'Try again: the download resumes where it stopped.');
}
