import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootQemu, type BootResult } from './harness/boot-qemu';
import { loadFixture, type Fixture } from './harness/fixtures';
import { qemuArgs } from './harness/qemu-args';
import { MarkerMatcher, SerialCleaner } from './harness/serial';

// The harness itself: how it reads the console (pure), and how it ends QEMU whatever happens
// (real boots of the plain fixture, ~8 s each).

function groupIsGone(r: BootResult): boolean {
  // pgrep exits 1 when no process is in the group.
  return r.pgid !== null && spawnSync('pgrep', ['-g', String(r.pgid)]).status === 1;
}

describe('serial console text', () => {
  it('strips ANSI escapes and carriage returns, also when a sequence is split across chunks', () => {
    const c = new SerialCleaner();
    const out = c.push('\x1b[2J\x1b[01;01HBdsDxe: loading\r\n\x1b[') + c.push('0mEMT-FIXTURE: in') + c.push('it\x1b]0;title\x07\r\n') + c.flush();
    expect(out).toBe('BdsDxe: loading\nEMT-FIXTURE: init\n');
  });

  it('matches markers only in order', () => {
    const m = new MarkerMatcher(['A-mark', 'B-mark']);
    expect(m.push('B-mark A-mark\n').matched).toEqual(['A-mark']);
    expect(m.push('B-mark\n')).toMatchObject({ matched: ['A-mark', 'B-mark'], isComplete: true });
  });

  it('catches a fatal pattern split across chunks, unless a marker expects it', () => {
    const m = new MarkerMatcher(['never'], [/EMT-BAD \d+/]);
    m.push('[ 1.0] Kernel pa');
    expect(m.push('nic - not syncing\n').fatal).toBe('Kernel panic');
    expect(new MarkerMatcher(['x']).push('EMT-BAD 7\n').fatal).toBeNull();
    expect(new MarkerMatcher(['x'], [/EMT-BAD \d+/]).push('EMT-BAD 7\n').fatal).toBe('EMT-BAD \\d+');
    // A Secure Boot refusal is what a negative test waits for.
    expect(new MarkerMatcher(['Access Denied']).push('Access Denied\n')).toMatchObject({ fatal: null, isComplete: true });
  });
});

describe('QEMU command lines', () => {
  const base = { memoryMiB: 512, cpus: 1, drives: [], nics: [], qmpSocket: '/tmp/q.sock', isPaused: false };

  it('boots Secure Boot media with the secure firmware and a private copy of the variables', () => {
    const args = qemuArgs({ ...base, mode: 'uefi-secureboot-usb', media: 'x.iso', varsCopy: '/tmp/run/vars.fd' }).join(' ');
    expect(args).toContain('-machine q35,smm=on');
    expect(args).toContain('property=secure,value=on');
    expect(args).toContain('readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.secboot.fd');
    expect(args).toContain('unit=1,file=/tmp/run/vars.fd');
    expect(args).toContain('usb-storage,drive=stick,bootindex=0');
  });

  it('never lets the guest write the media, and always refuses to reboot', () => {
    for (const mode of ['uefi-usb', 'bios-disk'] as const) {
      const args = qemuArgs({ ...base, mode, media: 'x.img' }).join(' ');
      expect(args).toMatch(/snapshot=on,file=x\.img|file=x\.img,format=raw,if=ide,snapshot=on/);
      expect(args).toContain('-no-reboot');
      expect(args).toContain('-accel tcg');
    }
    expect(qemuArgs({ ...base, mode: 'bios-cd', media: 'x.iso' }).join(' ')).toContain('-machine pc');
  });

  it('adds target disks and NICs with the given MACs and no PXE ROM', () => {
    const args = qemuArgs({
      ...base,
      mode: 'direct-kernel',
      kernel: 'k',
      drives: [{ file: 'a.img', interface: 'virtio' }, { file: 'b.img', interface: 'nvme' }],
      nics: [{ mac: '52:54:00:00:00:01' }, { mac: '52:54:00:00:00:02', id: 'prov', model: 'e1000e' }],
    }).join(' ');
    expect(args).toContain('file=a.img,format=raw,if=virtio');
    expect(args).toContain('nvme,drive=disk1,serial=emt-disk-1');
    expect(args).toContain('virtio-net-pci,netdev=net0,mac=52:54:00:00:00:01,id=nic0,romfile=');
    expect(args).toContain('e1000e,netdev=net1,mac=52:54:00:00:00:02,id=prov,romfile=');
  });
});

describe('bootQemu with the plain fixture', () => {
  let plain: Fixture;
  let dir: string;

  beforeAll(async () => {
    plain = await loadFixture('plain');
    dir = await mkdtemp(join(tmpdir(), 'emt-harness-'));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reports a truncated initramfs as a failure within seconds, and ends QEMU', async () => {
    const bytes = await readFile(plain.initramfs);
    const broken = join(dir, 'truncated.img');
    await writeFile(broken, bytes.subarray(0, Math.floor(bytes.length / 2)));
    const r = await bootQemu({
      name: 'harness-truncated-initramfs',
      mode: 'direct-kernel',
      kernel: plain.vmlinuz,
      initrd: broken,
      append: plain.cmdline,
      markers: ['EMT-FIXTURE: init', 'EMT-FIXTURE: done'],
      timeoutMs: 120_000,
    });
    console.log(`truncated initramfs: ${r.failure?.kind} after ${(r.durationMs / 1000).toFixed(1)} s (${r.failure?.detail})`);
    expect(r.isBooted).toBe(false);
    expect(r.failure?.kind).toBe('fatal-pattern');
    expect(r.missing).toEqual(['EMT-FIXTURE: init', 'EMT-FIXTURE: done']);
    expect(r.durationMs).toBeLessThan(60_000);
    expect(groupIsGone(r)).toBe(true);
    expect(existsSync(r.runDir)).toBe(false);
    expect(await readFile(r.logPath, 'utf8')).toContain(r.failure?.detail.replace(/^"|" on the serial console$/g, ''));
  });

  it('stops at its timeout when a marker never comes, and leaves no process or file behind', async () => {
    const r = await bootQemu({
      name: 'harness-timeout',
      mode: 'direct-kernel',
      kernel: plain.vmlinuz,
      initrd: plain.initramfs,
      append: plain.cmdline,
      markers: ['EMT-FIXTURE: a marker nobody prints'],
      // Long enough for QEMU to be running, short enough to stop it mid-boot.
      timeoutMs: 3_000,
    });
    expect(r.failure?.kind).toBe('timeout');
    expect(r.failure?.detail).toContain('a marker nobody prints');
    expect(r.durationMs).toBeLessThan(10_000);
    expect(groupIsGone(r)).toBe(true);
    expect(existsSync(r.runDir)).toBe(false);
  });

  it('stops when the caller aborts, and reports that QEMU exited early when it powers off before a marker', async () => {
    const ac = new AbortController();
    const aborted = await bootQemu({
      name: 'harness-abort',
      mode: 'direct-kernel',
      kernel: plain.vmlinuz,
      initrd: plain.initramfs,
      append: plain.cmdline,
      markers: ['EMT-FIXTURE: init', 'never'],
      onMarker: () => ac.abort(),
      signal: ac.signal,
    });
    expect(aborted.failure?.kind).toBe('aborted');
    expect(groupIsGone(aborted)).toBe(true);

    const early = await bootQemu({
      name: 'harness-exit-early',
      mode: 'direct-kernel',
      kernel: plain.vmlinuz,
      initrd: plain.initramfs,
      append: plain.cmdline,
      markers: ['EMT-FIXTURE: done', 'EMT-FIXTURE: after done'],
    });
    expect(early.failure).toMatchObject({ kind: 'exited', detail: expect.stringContaining('EMT-FIXTURE: after done') });
    expect(early.matched).toEqual(['EMT-FIXTURE: done']);
  });
});
