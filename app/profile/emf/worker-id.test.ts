import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import type { WorkerId } from '../../contract/profile';
import { Overlay } from '../../media/overlay';
import { renderWorkerIdSelector, WORKER_ID_CONF, WORKER_ID_SCRIPT } from './worker-id';

/**
 * The selector script as it ships (rendered into an overlay), run by a real sh against a fake
 * /sys/class/net tree, a fake route table and a fake command line. `unshare -m` gives each run a
 * mount namespace of its own: the bind mount over the command line is real and disappears with
 * the process, even when a test fails.
 */
const run = promisify(execFile);
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

interface Nic {
  name: string;
  ifindex: number;
  mac: string;
  carrier?: boolean;
  isUp?: boolean;
  isVirtual?: boolean;
  isWireless?: boolean;
}

const CMDLINE = 'BOOT_IMAGE=/boot/vmlinuz root=tmpfs rootflags=mode=0755 quiet console=ttyS0\n';

function sandbox(nics: Nic[], rule: Partial<Extract<WorkerId, { mode: 'auto' }>> = {}, settle = 0) {
  const dir = mkdtempSync(join(tmpdir(), 'emt-worker-id-'));
  dirs.push(dir);
  const overlay = new Overlay();
  renderWorkerIdSelector({ mode: 'auto', leaseWaitSeconds: 0, ...rule }, overlay);
  const file = (p: string) => {
    const node = overlay.get(p);
    if (node?.kind !== 'file') throw new Error(`${p} not rendered`);
    return node.content.toString('utf8');
  };
  writeFileSync(join(dir, 'select.sh'), file(WORKER_ID_SCRIPT), { mode: 0o755 });
  writeFileSync(join(dir, 'worker-id.conf'), `${file(WORKER_ID_CONF)}EMT_WORKER_SETTLE=${settle}\n`);
  writeFileSync(join(dir, 'cmdline'), CMDLINE);
  writeFileSync(join(dir, 'route'), 'Iface\tDestination\tGateway\tFlags\tRefCnt\tUse\tMetric\tMask\tMTU\tWindow\tIRTT\n');
  for (const nic of nics) {
    const d = join(dir, 'net', nic.name);
    mkdirSync(d, { recursive: true });
    if (!nic.isVirtual) mkdirSync(join(d, 'device'));
    if (nic.isWireless) mkdirSync(join(d, 'wireless'));
    writeFileSync(join(d, 'type'), nic.name === 'lo' ? '772\n' : '1\n');
    writeFileSync(join(d, 'address'), `${nic.mac}\n`);
    writeFileSync(join(d, 'ifindex'), `${nic.ifindex}\n`);
    writeFileSync(join(d, 'carrier'), nic.carrier === false ? '0\n' : '1\n');
    writeFileSync(join(d, 'flags'), nic.isUp === false ? '0x1002\n' : '0x1003\n');
  }
  const env = {
    PATH: `${join(dir, 'bin')}:${process.env.PATH}`,
    EMT_WORKER_CONF: join(dir, 'worker-id.conf'),
    EMT_SYSFS_NET: join(dir, 'net'),
    EMT_CMDLINE: join(dir, 'cmdline'),
    EMT_ROUTES: join(dir, 'route'),
    EMT_RUN_DIR: join(dir, 'run'),
  };
  const lease = (name: string) => writeFileSync(join(dir, 'route'), `${name}\t0000000A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n`, { flag: 'a' });
  /** Runs the selector, then shows the command line as a process in the same namespace sees it. */
  const select = async () => {
    const r = await run('unshare', ['-m', '--propagation', 'private', 'sh', '-c', 'sh "$0" || exit $?; cat "$EMT_CMDLINE"', join(dir, 'select.sh')], { env, timeout: 30_000 });
    return { seen: r.stdout, log: r.stderr };
  };
  return { dir, env, lease, select };
}

const A = '52:54:00:aa:00:01';
const B = '52:54:00:bb:00:02';

describe('automatic worker_id: the selector script in a sandbox', () => {
  it('publishes the MAC of the NIC with a DHCP lease, first on the command line, the rest unchanged', async () => {
    const s = sandbox([{ name: 'enp1s0', ifindex: 2, mac: A }, { name: 'enp2s0', ifindex: 3, mac: B }]);
    s.lease('enp2s0');
    const { seen, log } = await s.select();
    expect(seen).toBe(`worker_id=${B} ${CMDLINE}`);
    expect(log).toContain(`chose enp2s0 (${B}): DHCP-lease`);
    expect(readFileSync(join(s.dir, 'run', 'worker-id'), 'utf8')).toBe(`${B}\n`);
    // The bind mount lived in the test's namespace only: the file itself is untouched.
    expect(readFileSync(join(s.dir, 'cmdline'), 'utf8')).toBe(CMDLINE);
  });

  it('falls back to the first NIC with a link when no lease comes', async () => {
    const s = sandbox([{ name: 'enp1s0', ifindex: 2, mac: A, carrier: false }, { name: 'enp2s0', ifindex: 3, mac: B }]);
    const { seen, log } = await s.select();
    expect(seen.startsWith(`worker_id=${B} `)).toBe(true);
    expect(log).toContain('link-without-lease');
  });

  it('takes the first candidate in kernel order, not name order, when nothing has a link', async () => {
    const s = sandbox([{ name: 'eth0', ifindex: 3, mac: A, carrier: false }, { name: 'eth1', ifindex: 2, mac: B, carrier: false }]);
    const { seen, log } = await s.select();
    expect(seen.startsWith(`worker_id=${B} `)).toBe(true);
    expect(log).toContain('first-candidate-without-link');
  });

  it("follows the technician's MAC prefix rule even when another NIC has the lease", async () => {
    const s = sandbox([{ name: 'enp1s0', ifindex: 2, mac: A }, { name: 'enp2s0', ifindex: 3, mac: '00:1b:21:bb:00:02' }], { macPrefix: '00:1B:21' });
    s.lease('enp1s0');
    const { seen } = await s.select();
    expect(seen.startsWith('worker_id=00:1b:21:bb:00:02 ')).toBe(true);
  });

  it("follows the technician's interface name pattern", async () => {
    const s = sandbox([{ name: 'enp1s0', ifindex: 2, mac: A }, { name: 'enp2s0', ifindex: 3, mac: B }], { interfaceMatch: 'enp2*' });
    s.lease('enp1s0');
    const { seen } = await s.select();
    expect(seen.startsWith(`worker_id=${B} `)).toBe(true);
  });

  it('ignores loopback, virtual and wireless interfaces even when they have routes', async () => {
    const s = sandbox([
      { name: 'lo', ifindex: 1, mac: '00:00:00:00:00:00', isVirtual: true },
      { name: 'br0', ifindex: 2, mac: '52:54:00:00:00:99', isVirtual: true },
      { name: 'wlp3s0', ifindex: 3, mac: '52:54:00:00:00:98', isWireless: true },
      { name: 'enp4s0', ifindex: 4, mac: A, carrier: false },
    ]);
    for (const n of ['lo', 'br0', 'wlp3s0']) s.lease(n);
    const { seen } = await s.select();
    expect(seen.startsWith(`worker_id=${A} `)).toBe(true);
  });

  it('keeps a worker_id typed at the boot menu, lower-cased and moved first', async () => {
    const s = sandbox([{ name: 'enp1s0', ifindex: 2, mac: A }]);
    writeFileSync(join(s.dir, 'cmdline'), 'root=tmpfs quiet worker_id=AA:BB:CC:DD:EE:0F\n');
    const { seen, log } = await s.select();
    expect(seen).toBe('worker_id=aa:bb:cc:dd:ee:0f root=tmpfs quiet\n');
    expect(log).toContain('was given on the kernel command line');
  });

  it('fails with a plain message when no NIC matches the rule', async () => {
    const s = sandbox([{ name: 'enp1s0', ifindex: 2, mac: A }], { macPrefix: '00:11:22' });
    const err = await s.select().then(
      () => null,
      (e: { code: number; stderr: string }) => e,
    );
    expect(err?.code).toBe(1);
    expect(err?.stderr).toContain("no wired Ethernet NIC matches the rule (interface '*', MAC prefix '00:11:22')");
  });

  it('waits for a lease that comes late instead of settling for a link', async () => {
    const s = sandbox([{ name: 'enp1s0', ifindex: 2, mac: A }, { name: 'enp2s0', ifindex: 3, mac: B }], { leaseWaitSeconds: 10 });
    const started = Date.now();
    const timer = setTimeout(() => s.lease('enp2s0'), 1200);
    const { seen } = await s.select().finally(() => clearTimeout(timer));
    expect(seen.startsWith(`worker_id=${B} `)).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1200);
  });

  it('lets an earlier NIC whose lease comes within the settle time win', async () => {
    const s = sandbox([{ name: 'enp1s0', ifindex: 2, mac: A }, { name: 'enp2s0', ifindex: 3, mac: B }], { leaseWaitSeconds: 10 }, 2);
    s.lease('enp2s0');
    const timer = setTimeout(() => s.lease('enp1s0'), 700);
    const { seen } = await s.select().finally(() => clearTimeout(timer));
    expect(seen.startsWith(`worker_id=${A} `)).toBe(true);
  });

  it('brings an administratively down NIC up to see its link', async () => {
    const s = sandbox([{ name: 'enp1s0', ifindex: 2, mac: A, isUp: false }]);
    mkdirSync(join(s.dir, 'bin'));
    writeFileSync(join(s.dir, 'bin', 'ip'), `#!/bin/sh\necho "$*" >> "${join(s.dir, 'ip-calls')}"\n`);
    chmodSync(join(s.dir, 'bin', 'ip'), 0o755);
    await s.select();
    expect(readFileSync(join(s.dir, 'ip-calls'), 'utf8')).toBe('link set dev enp1s0 up\n');
  });

  it('amends the real /proc/cmdline for every process of the namespace', async () => {
    const s = sandbox([{ name: 'enp1s0', ifindex: 2, mac: A }]);
    const real = readFileSync('/proc/cmdline', 'utf8');
    const { seen } = await run('unshare', ['-m', '--propagation', 'private', 'sh', '-c', 'sh "$0" && sh -c "cat /proc/cmdline"', join(s.dir, 'select.sh')], {
      env: { ...s.env, EMT_CMDLINE: '/proc/cmdline' },
      timeout: 30_000,
    }).then((r) => ({ seen: r.stdout }));
    expect(seen).toBe(`worker_id=${A} ${real.replace(/\n$/, '')}\n`);
    expect(readFileSync('/proc/cmdline', 'utf8')).toBe(real);
  });
});
