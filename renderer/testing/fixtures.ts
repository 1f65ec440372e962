import type { DriveListing } from '../../app/contract/api';
import type { Drive, SafetyFinding } from '../../app/contract/drives';
import type { ReleaseListing } from '../../app/contract/catalog';
import type { ProfilePreview } from '../../app/contract/profile';
import type { BootChainInfo, BuildCheck, BuildResult, Finding } from '../../app/contract/build';

/** Literal data shaped like the engine's answers, for selector and component tests. */

export function drive(over: Partial<Drive> = {}): Drive {
  const device = over.device ?? '/dev/sdb';
  return {
    device,
    name: `SanDisk Ultra (${device.split('/').pop()})`,
    description: 'SanDisk Ultra',
    size: 16e9,
    bus: 'USB',
    kind: 'disk',
    logicalBlockSize: 512,
    isRemovable: true,
    isReadOnly: false,
    isSystem: false,
    systemReason: null,
    isTestTarget: false,
    mountpoints: [],
    partitions: [],
    ...over,
  };
}

export function finding(severity: SafetyFinding['severity'], code: string, message = `${code} happened.`): SafetyFinding {
  return { code, severity, message, hint: `Deal with ${code}.` };
}

export function listing(d: Drive, findings: SafetyFinding[] = []): DriveListing {
  return { drive: d, findings };
}

export function release(over: Partial<ReleaseListing> = {}): ReleaseListing {
  const id = over.id ?? 'emb-20260526';
  return {
    id,
    kind: 'bootkit',
    name: `emb_uos_x86_64_${id.slice(-8)}`,
    release: { kind: 'bootkit', id, name: `emb_uos_x86_64_${id.slice(-8)}`, line: '26.06', buildDate: id.slice(-8), url: `https://files.example/${id}.tar.gz`, size: 200 << 20 },
    sources: ['built-in'],
    warnings: [],
    cache: 'cached',
    health: 'ok',
    verification: 'pinned',
    isAvailableOffline: true,
    ...over,
  };
}

export function preview(findings: ProfilePreview['findings'] = []): ProfilePreview {
  return { isRenderable: !findings.some((f) => f.severity === 'error'), findings, summary: [{ topic: 'mode', text: 'The node onboards to orch.example.com.' }], kernelArgs: ['worker_id=auto'], overlay: [{ path: '/etc/emf/env_config', kind: 'file', mode: '644', size: 120 }] };
}

export function buildResult(over: Partial<BuildResult> = {}): BuildResult {
  return {
    output: '/home/tech/site-a.iso',
    kind: 'iso',
    size: 210 << 20,
    sha256: 'a'.repeat(64),
    seconds: 12,
    findings: [],
    manifest: {
      schema: 'emt-media/manifest@1',
      tool: { name: 'emt-media-builder', version: '0.1.0' },
      builtAt: '2026-07-01T10:00:00Z',
      release: { id: 'emb-20260526', source: 'emb_uos_x86_64_20260526.tar.gz', layout: 'bootkit', kernel: { name: 'vmlinuz', size: 1, sha256: 'b'.repeat(64) }, initramfs: { name: 'initramfs.img', size: 2, sha256: 'c'.repeat(64) } },
      mode: 'emf',
      profileDigest: 'd'.repeat(64),
      kernelCommandLine: 'root=tmpfs worker_id=auto',
      bootLoader: { kit: 'debian', packages: [] },
      secureBoot: { state: 'off-required', explanation: 'Turn Secure Boot off.' },
      overlay: [],
      files: [],
    },
    ...over,
  };
}

/** What Review's check answers for a release and profile with nothing to say. */
export function buildCheck(findings: Finding[] = [], over: Partial<BuildCheck> = {}): BuildCheck {
  return {
    release: { name: 'emb_uos_x86_64_20260526', layout: 'bootkit' },
    findings,
    secureBoot: { state: 'off-required', explanation: 'This media starts an unsigned GRUB: turn Secure Boot off.' },
    bootChain: null,
    media: { isoBytes: 212 << 20, stickMinBytes: null },
    ...over,
  };
}

export function bootChain(over: Partial<BootChainInfo> = {}): BootChainInfo {
  const file = (name: string) => ({ name, path: `/srv/chain/${name}`, size: 1 << 20, sha256: 'e'.repeat(64), isSigned: true, signers: [{ subject: 'Debian Secure Boot Signer 2022 - shim', issuer: 'Debian Secure Boot CA' }] });
  return { dir: '/srv/chain', files: [file('BOOTX64.EFI'), file('grubx64.efi')], isSigned: true, packages: [{ name: 'shim-signed', version: '1.51' }], ...over };
}
