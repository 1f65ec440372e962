import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readFile, readdir, readlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { partFiles } from './download-part';
import { DIRECT } from './download-proxy';
import { transfer } from './download-transfer';
import { FaultServer } from './testing/fault-server';
import { FAST_NETWORK, randomFile } from './testing/harness';
import { selfSignedCert } from './testing/tls-cert';

// The socket reads straight into the batches the .part is written from; these bodies land there
// in every way a body can: behind chunk framing, behind TLS, split across batches at odd offsets.
const file = randomFile((5 << 20) + 12_345);
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'emt-transfer-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function take(url: string, extra: { ca?: string } = {}): Promise<{ bytes: Buffer; sha256: string; part: string }> {
  const files = partFiles(dir, `t${Math.random().toString(16).slice(2)}`, url);
  const r = await transfer({ id: 'transfer-test', url, files, proxy: DIRECT, ...FAST_NETWORK, ...extra });
  const bytes = await readFile(files.part);
  expect(r).toMatchObject({ size: bytes.length, bytesDownloaded: bytes.length, resumedFrom: 0 });
  return { bytes, sha256: r.sha256, part: files.part };
}

/** Paths this process has open (Linux). */
async function openFiles(): Promise<string[]> {
  const fds = await readdir('/proc/self/fd');
  return (await Promise.all(fds.map((fd) => readlink(`/proc/self/fd/${fd}`).catch(() => '')))).filter(Boolean);
}

describe('transfer into a .part', () => {
  it('takes a chunked body whose framing sits inside the batches it reads into, byte for byte', async () => {
    const sizes = [1, 4093, 65_537, 300_000, 1_048_577, 7];
    const server = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      // No Content-Length: node:http sends it chunked, one chunk per write.
      for (let at = 0, i = 0; at < file.bytes.length; i++) {
        const n = sizes[i % sizes.length]!;
        res.write(file.bytes.subarray(at, at + n));
        at += n;
      }
      res.end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const got = await take(`http://127.0.0.1:${(server.address() as AddressInfo).port}/chunked`);
      expect(got.bytes.equals(file.bytes)).toBe(true);
      expect(got.sha256).toBe(file.sha256);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });

  it('takes a body over TLS (decrypted into its batches), hashes what it wrote, and leaves no file open', async () => {
    const cert = selfSignedCert();
    const server = await FaultServer.start({ tls: cert });
    server.serve('/f.img', { body: file.bytes });
    try {
      const got = await take(server.url('/f.img'), { ca: cert.cert });
      expect(got.bytes.equals(file.bytes)).toBe(true);
      expect(got.sha256).toBe(createHash('sha256').update(got.bytes).digest('hex'));
      // The writer's worker closed the .part before the transfer returned.
      expect((await openFiles()).filter((p) => p.startsWith(dir))).toEqual([]);
    } finally {
      await server.close();
    }
  });
});
