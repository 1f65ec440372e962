import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpRequest } from './download-http';
import { DIRECT, proxyConfig } from './download-proxy';
import { fetchSmall } from './download-retry';
import { download } from './download';
import { ConnectProxy } from './testing/connect-proxy';
import { FaultServer } from './testing/fault-server';
import { bootkit, FAST_NETWORK, makeHarness, randomFile } from './testing/harness';
import { selfSignedCert } from './testing/tls-cert';

// A real TLS server and a real forward proxy, both on loopback: technicians sit behind proxies.
const cert = selfSignedCert();
const file = randomFile(1 << 20);
let tlsServer: FaultServer;
let plainServer: FaultServer;
let proxy: ConnectProxy;
let authProxy: ConnectProxy;

beforeAll(async () => {
  tlsServer = await FaultServer.start({ tls: cert });
  plainServer = await FaultServer.start();
  proxy = await ConnectProxy.start();
  authProxy = await ConnectProxy.start({ login: { user: 'tech', password: 'p@ss word' } });
  for (const s of [tlsServer, plainServer]) s.serve('/f.tar.gz', { body: file.bytes });
});

afterAll(async () => {
  await Promise.all([tlsServer.close(), plainServer.close(), proxy.close(), authProxy.close()]);
});

const manual = (url: string, noProxy = '') => proxyConfig({ mode: 'manual', url, noProxy }, {});

describe('HTTP through a proxy', () => {
  it('downloads an https release through a CONNECT tunnel, resuming through it after a cut', async () => {
    const h = await makeHarness({ proxy: { mode: 'manual', url: proxy.url, noProxy: '' } });
    try {
      tlsServer.inject('/f.tar.gz', { kind: 'cut', afterBytes: 300_000 });
      await h.writeCatalog([bootkit('bootkit-tls', tlsServer.url('/f.tar.gz'), { sha256: file.sha256 })]);
      const r = await download('bootkit-tls', { settings: h.settings, env: h.env, network: { ...FAST_NETWORK, ca: cert.cert } });
      expect(r.entry.verification).toBe('catalog');
      const port = new URL(tlsServer.origin).port;
      expect(proxy.log.filter((l) => l.method === 'CONNECT').map((l) => l.target)).toEqual([`127.0.0.1:${port}`, `127.0.0.1:${port}`]);
      expect(tlsServer.requests.map((q) => q.status)).toEqual([200, 206]);
    } finally {
      await h.cleanup();
    }
  });

  it('sends http requests to the proxy with the absolute URI, and the login when the proxy wants one', async () => {
    const url = plainServer.url('/f.tar.gz');
    const before = authProxy.log.length;
    await expect(fetchSmall(url, { proxy: manual(authProxy.url), ...FAST_NETWORK, limit: 4 << 20 })).rejects.toMatchObject({ code: 'E_PROXY_AUTH' });
    const withLogin = `http://tech:${encodeURIComponent('p@ss word')}@127.0.0.1:${authProxy.port}`;
    const body = await fetchSmall(url, { proxy: manual(withLogin), ...FAST_NETWORK, limit: 4 << 20 });
    expect(body.equals(file.bytes)).toBe(true);
    expect(authProxy.log.slice(before)).toEqual([
      { method: 'GET', target: url, isAuthorized: false },
      { method: 'GET', target: url, isAuthorized: true },
    ]);
  });

  it('answers a CONNECT refused for want of a login with E_PROXY_AUTH', async () => {
    await expect(fetchSmall(tlsServer.url('/f.tar.gz'), { proxy: manual(authProxy.url), ca: cert.cert, ...FAST_NETWORK })).rejects.toMatchObject({ code: 'E_PROXY_AUTH' });
  });

  it('goes direct for hosts in NO_PROXY', async () => {
    const before = proxy.log.length;
    const body = await fetchSmall(plainServer.url('/f.tar.gz'), { proxy: manual(proxy.url, '127.0.0.0/8'), ...FAST_NETWORK, limit: 4 << 20 });
    expect(body.equals(file.bytes)).toBe(true);
    expect(proxy.log.length).toBe(before);
  });

  it('says E_PROXY_UNREACHABLE when the proxy is down, and E_TLS_UNTRUSTED for a certificate nobody vouches for', async () => {
    const dead = await ConnectProxy.start();
    const deadUrl = dead.url;
    await dead.close();
    await expect(fetchSmall(plainServer.url('/f.tar.gz'), { proxy: manual(deadUrl), ...FAST_NETWORK, retry: { retries: 0, baseDelayMs: 1, maxDelayMs: 1 } })).rejects.toMatchObject({ code: 'E_PROXY_UNREACHABLE' });
    await expect(fetchSmall(tlsServer.url('/f.tar.gz'), { proxy: manual(proxy.url), ...FAST_NETWORK })).rejects.toMatchObject({ code: 'E_TLS_UNTRUSTED' });
    await expect(fetchSmall(tlsServer.url('/f.tar.gz'), { proxy: manual(proxy.url, '*'), ...FAST_NETWORK })).rejects.toMatchObject({ code: 'E_TLS_UNTRUSTED' });
  });
});

describe('the HTTP/1.1 client against other servers', () => {
  it('reads chunked bodies, follows redirects, skips 103 Early Hints (node:http as the server)', async () => {
    const server = http.createServer((req, res) => {
      if (req.url === '/moved') return void res.writeHead(302, { location: '/chunked' }).end();
      res.writeEarlyHints({ link: '</style.css>; rel=preload' });
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      // No Content-Length: node:http sends it chunked, one chunk per write.
      for (let i = 0; i < 50; i++) res.write(file.bytes.subarray(i * 20_000, (i + 1) * 20_000));
      res.end(file.bytes.subarray(1_000_000));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/moved`;
      const body = await fetchSmall(url, { proxy: DIRECT, ...FAST_NETWORK, limit: 4 << 20 });
      expect(body.equals(file.bytes)).toBe(true);
      const res = await httpRequest(url, { proxy: DIRECT, ...FAST_NETWORK });
      expect([res.status, res.url.pathname, res.headers['transfer-encoding']]).toEqual([200, '/chunked', 'chunked']);
      res.close();
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });

  it('reads a body that ends when the server closes, and refuses what is not HTTP', async () => {
    const answers = ['HTTP/1.0 200 OK\r\nServer: old\r\n\r\nthe body runs to the close', 'SSH-2.0-OpenSSH_9.2\r\n'];
    const server = net.createServer((s) => {
      s.once('data', () => s.end(answers.shift() ?? ''));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/x`;
      expect((await fetchSmall(url, { proxy: DIRECT, ...FAST_NETWORK })).toString()).toBe('the body runs to the close');
      await expect(fetchSmall(url, { proxy: DIRECT, ...FAST_NETWORK })).rejects.toMatchObject({ code: 'E_HTTP_PROTOCOL' });
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});
