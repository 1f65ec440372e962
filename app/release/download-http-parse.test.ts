import { describe, expect, it } from 'vitest';
import { ResponseParser, type ResponseHead } from './download-http-parse';

/** Feed `wire` in pieces of every size from 1 byte up: framing must not depend on read boundaries. */
function parseInPieces(wire: string | Buffer, piece: number, isHead = false): { head: ResponseHead | null; body: Buffer; isEnded: boolean; parser: ResponseParser } {
  const bytes = Buffer.isBuffer(wire) ? wire : Buffer.from(wire, 'latin1');
  const out = { head: null as ResponseHead | null, body: [] as Buffer[], isEnded: false };
  const parser = new ResponseParser(
    {
      onHead: (h) => (out.head = h),
      onBody: (buf, s, e) => out.body.push(Buffer.from(buf.subarray(s, e))),
      onEnd: () => (out.isEnded = true),
    },
    isHead,
  );
  for (let at = 0; at < bytes.length; at += piece) parser.feed(bytes, at, Math.min(bytes.length, at + piece));
  return {
    head: out.head,
    get body() {
      return Buffer.concat(out.body);
    },
    get isEnded() {
      return out.isEnded;
    },
    parser,
  };
}

const sizes = [1, 2, 3, 7, 64, 4096];

describe('HTTP/1.1 response parser', () => {
  it('frames a body by Content-Length and ignores what follows it', () => {
    const wire = 'HTTP/1.1 206 Partial Content\r\nContent-Range: bytes 10-14/100\r\nContent-Length: 5\r\nETag: "x"\r\nETag: "y"\r\n\r\nhelloEXTRA';
    for (const n of sizes) {
      const r = parseInPieces(wire, n);
      expect(r.head).toEqual({ status: 206, headers: { 'content-range': 'bytes 10-14/100', 'content-length': '5', etag: '"x", "y"' } });
      expect(r.body.toString()).toBe('hello');
      expect(r.isEnded).toBe(true);
    }
  });

  it('decodes chunked transfer coding with extensions and trailers (RFC 9112 §7.1)', () => {
    const wire = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;name=value\r\nhello\r\n1A\r\n, chunked world of bytes!!\r\n0\r\nX-Trailer: yes\r\n\r\n';
    for (const n of sizes) {
      const r = parseInPieces(wire, n);
      expect(r.body.toString()).toBe('hello, chunked world of bytes!!');
      expect(r.isEnded).toBe(true);
    }
  });

  it('ends a body without length at the close, skips interim 1xx responses, and has no body for HEAD, 204, 304', () => {
    const r = parseInPieces('HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.0 200 OK\r\n\r\nuntil the end', 3);
    expect(r.head!.status).toBe(200);
    expect(r.isEnded).toBe(false);
    expect(r.parser.isCloseDelimited).toBe(true);
    r.parser.close();
    expect(r.isEnded).toBe(true);
    expect(r.body.toString()).toBe('until the end');
    expect(parseInPieces('HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n', 5, true).isEnded).toBe(true);
    expect(parseInPieces('HTTP/1.1 304 Not Modified\r\nContent-Length: 1000\r\n\r\n', 5).isEnded).toBe(true);
  });

  it('says a body that stopped short is interrupted', () => {
    const r = parseInPieces('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort', 4);
    expect(() => r.parser.close()).toThrow(expect.objectContaining({ code: 'E_NETWORK_INTERRUPTED' }));
    const c = parseInPieces('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nA\r\n12345', 4);
    expect(() => c.parser.close()).toThrow(expect.objectContaining({ code: 'E_NETWORK_INTERRUPTED' }));
  });

  it('refuses malformed responses with E_HTTP_PROTOCOL', () => {
    const bad = [
      'SSH-2.0-OpenSSH_9.2\r\n\r\n',
      'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n',
      'HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n',
      'HTTP/1.1 200 OK\r\nX-Folded: a\r\n b\r\n\r\n',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabXY\r\n',
      `HTTP/1.1 200 OK\r\nX-Big: ${'a'.repeat(70_000)}\r\n\r\n`,
    ];
    for (const wire of bad) expect(() => parseInPieces(wire, 1000), wire.slice(0, 60)).toThrow(expect.objectContaining({ code: 'E_HTTP_PROTOCOL' }));
  });

  it('passes body bytes as slices of the input, not copies', () => {
    const wire = Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nbody');
    const seen: Buffer[] = [];
    const p = new ResponseParser({ onHead: () => undefined, onBody: (buf) => seen.push(buf), onEnd: () => undefined });
    p.feed(wire);
    expect(seen[0]).toBe(wire);
  });
});
