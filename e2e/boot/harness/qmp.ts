import { existsSync } from 'node:fs';
import { createConnection, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * A small QMP client (QEMU Machine Protocol: one JSON object per line; a greeting, then
 * `qmp_capabilities`, then commands answered by `return` or `error`; events interleaved).
 */
export class Qmp {
  private buffer = '';
  private waiting: { resolve: (v: unknown) => void; reject: (e: Error) => void }[] = [];

  private constructor(private readonly socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => this.onData(d));
    socket.on('error', (e) => this.failAll(e));
    socket.on('close', () => this.failAll(new Error('QMP connection closed')));
  }

  static async connect(path: string, timeoutMs = 10_000): Promise<Qmp> {
    const until = Date.now() + timeoutMs;
    while (!existsSync(path)) {
      if (Date.now() > until) throw new Error(`QMP socket ${path} did not appear`);
      await sleep(50);
    }
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = createConnection(path, () => resolve(s));
      s.once('error', reject);
    });
    const qmp = new Qmp(socket);
    await qmp.next(); // greeting
    await qmp.execute('qmp_capabilities');
    return qmp;
  }

  /** Runs a command; resolves with its `return` value, rejects with its `error`. */
  async execute(command: string, args?: Record<string, unknown>): Promise<unknown> {
    this.socket.write(`${JSON.stringify(args ? { execute: command, arguments: args } : { execute: command })}\n`);
    const reply = (await this.next()) as { return?: unknown; error?: { class: string; desc: string } };
    if (reply.error) throw new Error(`QMP ${command}: ${reply.error.class}: ${reply.error.desc}`);
    return reply.return;
  }

  /** Plugs or unplugs a NIC's cable (`set_link` by device id). */
  async setLink(id: string, isUp: boolean): Promise<void> {
    await this.execute('set_link', { name: id, up: isUp });
  }

  close(): void {
    this.socket.destroy();
  }

  private next(): Promise<unknown> {
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  private onData(data: string): void {
    this.buffer += data;
    for (let nl = this.buffer.indexOf('\n'); nl >= 0; nl = this.buffer.indexOf('\n')) {
      const line = this.buffer.slice(0, nl).trim();
      this.buffer = this.buffer.slice(nl + 1);
      if (!line) continue;
      const msg = JSON.parse(line) as Record<string, unknown>;
      if ('event' in msg) continue;
      this.waiting.shift()?.resolve(msg);
    }
  }

  private failAll(e: Error): void {
    for (const w of this.waiting.splice(0)) w.reject(e);
  }
}
