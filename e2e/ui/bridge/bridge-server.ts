import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { contract, events, listCalls, type MenuCommand } from '../../../app/contract/api';
import type { ProgressEvent } from '../../../app/contract/jobs';
import { serveAppRequest } from '../../../main/app-protocol';
import { createEngineHandlers } from '../../../main/engine-handlers';
import { Gate, type SenderInfo } from '../../../main/gate';
import { JobRegistry } from '../../../main/job-registry';
import { createFileLogger, type Logger } from '../../../main/log';
import { createShellHandlers } from '../../../main/shell-handlers';
import { installPageBridge } from './page-bridge';
import { ScriptedDesktop } from './scripted-desktop';

export interface BridgeOptions {
  /** The production renderer build (dist/renderer). */
  rendererDir: string;
  /** The engine's environment: EMT_CONFIG_DIR, EMT_CACHE_DIR, EMT_TEST_TARGETS of this test. */
  env: NodeJS.ProcessEnv;
  logDir: string;
  /**
   * False: the engine behaves as for a user who may not read devices (sticks are read back through
   * the writer). The suite runs as root, where it would read them itself.
   */
  canReadDevices?: boolean;
}

const MAX_BODY = 32 << 20;

/**
 * Main, for a browser: serves the production renderer build and answers `window.emt` through the
 * same Gate, the same shell handlers and the same engine handlers as Electron main, on 127.0.0.1.
 * Only the operating system's dialogs and shell are scripted (ScriptedDesktop). A call is trusted
 * when it carries this run's token, comes from a page of this origin, and from its top frame —
 * the bridge's counterpart of main's origin and main-frame check.
 */
export class Bridge {
  readonly desktop = new ScriptedDesktop();
  readonly token = randomBytes(24).toString('hex');
  readonly jobs = new JobRegistry();
  private readonly streams = new Set<ServerResponse>();
  private readonly progressListeners = new Set<(call: string, event: ProgressEvent) => void>();
  private readonly gate: Gate<typeof contract, typeof events>;
  readonly log: Logger;
  url = '';

  private constructor(
    private readonly server: Server,
    private readonly options: BridgeOptions,
  ) {
    this.log = createFileLogger(join(options.logDir, 'bridge.log'));
    const handlers = {
      ...createShellHandlers({
        info: { name: 'EMT Media Builder', version: '0.0.0-e2e', platform: 'linux', logFile: this.log.file, isTestBridge: true },
        shell: this.desktop.shell,
        dialog: this.desktop,
        jobs: this.jobs,
        log: this.log,
      }),
      ...createEngineHandlers({ env: options.env, cwd: options.logDir, builds: new Map(), ...(options.canReadDevices === undefined ? {} : { canReadDevices: options.canReadDevices }) }),
    };
    this.gate = new Gate(contract, handlers, {
      events,
      isTrustedSender: (s) => this.isTrusted(s),
      send: (channel, payload) => this.send(channel, payload),
      log: this.log,
      jobs: this.jobs,
      observer: { onProgress: (call, _jobId, event) => this.progressListeners.forEach((l) => l(call, event)) },
    });
  }

  /** Progress of every job as the gate sees it, before it reaches the page (a test can act at an exact moment). */
  onProgress(listener: (call: string, event: ProgressEvent) => void): () => void {
    this.progressListeners.add(listener);
    return () => this.progressListeners.delete(listener);
  }

  static async start(options: BridgeOptions): Promise<Bridge> {
    const server = createServer();
    const bridge = new Bridge(server, options);
    server.on('request', (req, res) => void bridge.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    bridge.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return bridge;
  }

  /** Gives the page its `window.emt` before the app's scripts run. */
  async attach(page: Page): Promise<void> {
    await page.addInitScript(installPageBridge, { token: this.token, calls: listCalls(contract).map(([ns, m]) => [ns, m] as [string, string]), events: Object.keys(events) });
  }

  /** Sends a contract event the way main does (menu commands). */
  emit(name: 'menuCommand', payload: MenuCommand): void {
    this.gate.emit(name, payload);
  }

  async close(): Promise<void> {
    this.jobs.cancelAll();
    for (const s of this.streams) s.end();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private isTrusted(s: SenderInfo): boolean {
    if (s.id !== this.token || !s.isMainFrame || !s.url) return false;
    try {
      return new URL(s.url).origin === this.url;
    } catch {
      return false;
    }
  }

  private send(channel: string, payload: unknown): void {
    const frame = `event: ${channel}\ndata: ${JSON.stringify(payload)}\n\n`;
    for (const s of this.streams) s.write(frame);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    if (req.method === 'POST' && url.pathname.startsWith('/emt/call/')) return this.call(req, res, decodeURIComponent(url.pathname.slice('/emt/call/'.length)));
    if (req.method === 'GET' && url.pathname === '/emt/events') {
      if (url.searchParams.get('token') !== this.token) return void res.writeHead(403).end();
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
      res.write(': connected\n\n');
      this.streams.add(res);
      req.on('close', () => this.streams.delete(res));
      return;
    }
    const answer = await serveAppRequest(this.options.rendererDir, { url: `app://emt${url.pathname}`, method: req.method ?? 'GET' });
    const headers: Record<string, string> = {};
    answer.headers.forEach((value, key) => (headers[key] = value));
    res.writeHead(answer.status, headers);
    res.end(Buffer.from(await answer.arrayBuffer()));
  }

  private async call(req: IncomingMessage, res: ServerResponse, channel: string): Promise<void> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of req) {
      size += (c as Buffer).length;
      if (size > MAX_BODY) return void res.writeHead(413).end();
      chunks.push(c as Buffer);
    }
    let args: unknown;
    try {
      args = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      args = undefined;
    }
    const sender: SenderInfo = {
      id: String(req.headers['x-emt-token'] ?? ''),
      url: typeof req.headers.referer === 'string' ? req.headers.referer : undefined,
      isMainFrame: req.headers['x-emt-frame'] === 'main',
    };
    const outcome = await this.gate.invoke(channel, sender, args);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(outcome));
  }
}
