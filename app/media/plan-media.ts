import type { BuildManifest, Finding, SecureBootStatus } from '../contract/build';
import { fromBuffer, fromFile, readAll, type ByteSource } from '../formats/byte-source';
import { patchBootInfoTable } from '../formats/iso9660/el-torito';
import type { IsoEntry } from '../formats/iso9660/spec';
import { isoImage, type IsoImage } from '../formats/iso9660/writer';
import type { BootChain } from '../kit/boot-chain';
import type { BootKit } from '../kit/locate-kit';
import type { ReleaseInspection } from '../release/inspect-release';
import { releaseChangedError, type PreparedFile, type PreparedFiles } from '../release/prepared-release';
import { TOOL_VERSION } from '../version';
import { grubConfig, isolinuxConfig } from './boot-menu';
import { buildCustomInitrd, type CustomInitrd } from './custom-initrd';
import { buildEsp } from './esp';
import { lateJson, sha256 } from './hashing';
import { CONSOLE_ARGS, mergeCmdline, releaseDefaults } from './kernel-cmdline';
import type { Overlay } from './overlay';
import { secureBootStatus } from './secure-boot';
import { checkOverlayFits } from './size-check';

export type MediaMode = 'emf' | 'standalone' | 'none';

export interface MediaRequest {
  /** Prepared: the kernel's and initramfs's sha256 are known before a byte is written. */
  release: PreparedFiles;
  inspection: ReleaseInspection;
  overlay: Overlay;
  mode: MediaMode;
  /** Catalog id of the release, when it came from the catalog. */
  releaseId?: string;
  /** sha256 of the profile as saved (no secrets in it), so support staff can match media to a profile. */
  profileDigest?: string;
  /** Parameters the profile adds (tink/onboarding, proxies). */
  profileArgs: string[];
  /** The user's `--append` additions, last so they win. */
  userArgs: string[];
  kit: BootKit;
  bootChain: BootChain | null;
  /** The one date of the build (SOURCE_DATE_EPOCH or now): same inputs and date, same bytes. */
  date: Date;
  menuTitle: string;
  timeoutSeconds?: number;
  /** Findings found before (profile validation); the plan adds its own. */
  findings?: Finding[];
}

/** A planned ISO: its bytes can be streamed to a file or to sticks, and it describes itself. */
export interface MediaPlan {
  iso: IsoImage;
  cmdline: string;
  secureBoot: SecureBootStatus;
  custom: CustomInitrd;
  findings: Finding[];
  /** The manifest as written on the media; complete once the ISO has been streamed. */
  manifest(): BuildManifest;
}

export const PATHS = {
  kernel: '/boot/vmlinuz',
  initrd: '/boot/initrd',
  custom: '/boot/custom.img',
  grub: '/boot/grub/grub.cfg',
  esp: '/boot/efi.img',
  isolinux: '/isolinux/isolinux.bin',
  ldlinux: '/isolinux/ldlinux.c32',
  isolinuxCfg: '/isolinux/isolinux.cfg',
  diskInfo: '/.disk/info',
  manifest: '/emt-media.json',
} as const;

const ZERO_HASH = '0'.repeat(64);

/**
 * Everything that goes on the media, as one ISO plan (DESIGN.md "Media anatomy"): the release kernel
 * and initramfs byte-identical, our custom initrd after them, GRUB (UEFI) and ISOLINUX (BIOS) menus
 * with the same command line, and `/emt-media.json`. The release files' hashes come with the
 * prepared release, so the build streams them without hashing them again; the one value the plan
 * cannot know before the layout, ISOLINUX's hash with its boot info table patched, is filled in
 * when the manifest streams (lateJson).
 */
export async function planMedia(req: MediaRequest): Promise<MediaPlan> {
  const findings = [...(req.findings ?? []), ...req.inspection.findings];
  const target =
    req.inspection.layout === 'bootkit'
      ? { layout: 'bootkit' as const, initramfs: req.inspection.initramfs.base, rootfs: req.inspection.rootfs!.base, hooksDir: req.inspection.initramfs.hooksDir! }
      : { layout: 'plain' as const, initramfs: req.inspection.initramfs.base };
  const custom = await buildCustomInitrd(req.overlay, target);
  if (req.inspection.rootfs) checkOverlayFits(req.inspection.rootfs.unpackedBytes, req.overlay.contentBytes(), req.inspection.initramfs.tmpfsBytes, findings);

  // Last comes a parameter nobody reads: tink-worker and device-discovery split /proc/cmdline at
  // spaces, so the final word carries the line's newline (app/profile/render-types.ts).
  const cmdline = mergeCmdline(releaseDefaults(req.inspection.layout), CONSOLE_ARGS, req.profileArgs, req.userArgs, [`emt.media=${req.mode}`]);
  const menu = { title: req.menuTitle, kernelPath: PATHS.kernel, initrdPaths: [PATHS.initrd, PATHS.custom], cmdline, timeoutSeconds: req.timeoutSeconds ?? 5 };
  const secureBoot = await secureBootStatus(req.bootChain, req.release.kernel.path);
  const esp = await buildEsp(req.bootChain ? { kind: 'chain', chain: req.bootChain } : { kind: 'kit', kit: req.kit }, req.date);
  const espHash = sha256(await readAll(esp, 64 << 20));

  const small = new Map<string, Buffer>([
    [PATHS.grub, Buffer.from(grubConfig(menu))],
    [PATHS.isolinuxCfg, Buffer.from(isolinuxConfig(menu))],
    [PATHS.diskInfo, Buffer.from(`EMT Media Builder ${TOOL_VERSION} "${req.mode}" - ${req.release.displayName} (${req.date.toISOString()})\n`)],
  ]);
  const customBytes = await readAll(custom.image, 128 << 20);
  const isolinuxBin = await readAll(await fromFile(req.kit.files.isolinuxBin), 1 << 20);
  const ldlinux = await fromFile(req.kit.files.ldlinuxC32);
  const kernel = await unchangedFile(req.release.kernel);
  const initrd = await unchangedFile(req.release.initramfs);

  const manifestOf = (late: boolean): BuildManifest => ({
    schema: 'emt-media/manifest@1',
    tool: { name: 'emt-media-builder', version: TOOL_VERSION },
    builtAt: req.date.toISOString(),
    release: {
      ...(req.releaseId ? { id: req.releaseId } : {}),
      source: req.release.displayName,
      layout: req.inspection.layout,
      kernel: { name: req.release.kernel.name, size: req.release.kernel.size, sha256: req.release.kernel.sha256 },
      initramfs: { name: req.release.initramfs.name, size: req.release.initramfs.size, sha256: req.release.initramfs.sha256 },
    },
    mode: req.mode,
    ...(req.profileDigest ? { profileDigest: req.profileDigest } : {}),
    kernelCommandLine: cmdline,
    bootLoader: { kit: req.bootChain ? 'user boot chain' : `boot loader kit (${req.kit.source})`, packages: req.kit.manifest.packages.map((p) => ({ name: p.name, version: p.version })) },
    secureBoot,
    overlay: custom.entries.map((e) => ({
      path: e.path,
      kind: e.type,
      mode: e.type === 'symlink' ? '777' : e.mode.toString(8).padStart(3, '0'),
      ...(e.type === 'file' ? { sha256: sha256(e.content) } : {}),
      ...(e.type === 'symlink' ? { target: e.target } : {}),
    })),
    files: [
      ...[...small].map(([path, data]) => ({ path, size: data.length, sha256: sha256(data), mode: '644' })),
      { path: PATHS.custom, size: customBytes.length, sha256: sha256(customBytes), mode: '644' },
      { path: PATHS.kernel, size: kernel.size, sha256: req.release.kernel.sha256, mode: '644' },
      { path: PATHS.initrd, size: initrd.size, sha256: req.release.initramfs.sha256, mode: '644' },
      { path: PATHS.isolinux, size: isolinuxBin.length, sha256: late ? patchedIsolinuxHash() : ZERO_HASH, mode: '444' },
      { path: PATHS.ldlinux, size: ldlinux.size, sha256: req.kit.manifest.files.find((f) => f.role === 'bios-ldlinux')!.sha256, mode: '444' },
      { path: PATHS.esp, size: esp.size, sha256: espHash, mode: '444' },
    ].sort((a, b) => a.path.localeCompare(b.path)),
  });

  let iso: IsoImage | null = null;
  // ISOLINUX's copy on the ISO carries the boot info table, which depends on where it lands.
  const patchedIsolinuxHash = () => sha256(patchBootInfoTable(Buffer.from(isolinuxBin), 16, iso!.layout.biosBoot!.lba));
  const manifestSource: ByteSource = lateJson(() => manifestOf(false), () => manifestOf(true));

  const entries: IsoEntry[] = [
    ...[...small].map(([path, data]): IsoEntry => ({ kind: 'file', path, content: fromBuffer(data) })),
    { kind: 'file', path: PATHS.custom, content: fromBuffer(customBytes) },
    { kind: 'file', path: PATHS.kernel, content: kernel },
    { kind: 'file', path: PATHS.initrd, content: initrd },
    { kind: 'file', path: PATHS.isolinux, content: fromBuffer(isolinuxBin), mode: 0o444 },
    { kind: 'file', path: PATHS.ldlinux, content: ldlinux, mode: 0o444 },
    { kind: 'file', path: PATHS.manifest, content: manifestSource },
  ];
  iso = await isoImage({
    volumeId: 'EMT_BOOTKIT',
    date: req.date,
    entries,
    applicationId: `EMT MEDIA BUILDER ${TOOL_VERSION}`,
    boot: { bios: { path: PATHS.isolinux, loadSectors: 4, hasBootInfoTable: true }, efi: { image: esp, path: PATHS.esp } },
    hybrid: { mbrCode: await readAll(await fromFile(req.kit.files.isohdpfxBin), 512), guidSeed: `${TOOL_VERSION}:${req.date.toISOString()}:${req.release.kernel.size}:${req.release.initramfs.size}:${sha256(customBytes)}` },
  });
  return { iso, cmdline, secureBoot, custom, findings, manifest: () => manifestOf(true) };
}

/**
 * A release file whose bytes must be the ones the prepared release hashed: its size and time must
 * be the prepared stamp now and after each stream (and for the writer reading it itself), so a file
 * replaced under the build fails it instead of landing on the media with a manifest that describes
 * other bytes.
 */
function unchangedFile(f: PreparedFile): Promise<ByteSource> {
  return fromFile(f.path, { stamp: { size: f.size, mtimeMs: f.mtimeMs }, changed: () => releaseChangedError(f.path) });
}
