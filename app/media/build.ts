import type { BuildResult, StickPartition } from '../contract/build';
import type { Profile } from '../contract/profile';
import { EmtError, throwIfAborted } from '../errors';
import type { OnProgress } from '../jobs/progress';
import { readBootChain, type BootChain } from '../kit/boot-chain';
import { locateKit, type BootKit } from '../kit/locate-kit';
import { hasErrors } from '../profile/findings';
import { render } from '../profile/render';
import type { RenderContext, RenderResult } from '../profile/render-types';
import type { SecretText } from '../profile/secrets';
import type { ReleaseInspection } from '../release/inspect-release';
import { prepareRelease, type PreparedFiles, type PreparedRelease } from '../release/prepared-release';
import type { ReleaseInput } from '../release/read-release';
import { sha256 } from './hashing';
import { splitCmdline } from './kernel-cmdline';
import { Overlay } from './overlay';
import { overlayFromDirectory } from './overlay-dir';
import { planMedia, type MediaMode, type MediaPlan } from './plan-media';
import type { ByteSource } from '../formats/byte-source';
import type { ByteRange } from '../formats/fat/sparse-image';
import { planStandaloneStick } from './stick-layout';
import { writeIso, writeSourceToFile } from './write-iso';

export interface BuildInput {
  release: ReleaseInput;
  releaseId?: string;
  /** The cache folder: releases are kept there read and inspected for the next build. */
  cacheDir?: string;
  /** The release's content hash when known (a cached download): the key of its prepared form. */
  releaseSha256?: string;
  profile?: Profile;
  /** The standalone user's password, for the stick's .psswd; never stored. */
  password?: SecretText;
  /** Where relative paths of the profile (OS image, user apps) are relative to. */
  profileDir?: string;
  /** A folder mirrored into the running system (`DIR/etc/x` → `/etc/x`), on top of the profile. */
  overlayDir?: string;
  /** Extra kernel parameters, as typed (`"k=v k2=v2"`); they win over everything else. */
  append?: string[];
  bootChainDir?: string;
  kitDir?: string;
  /** Electron's resourcesPath in the packaged app, to find the bundled kit. */
  resourcesPath?: string;
  menuTitle?: string;
  timeoutSeconds?: number;
  /** The build date (SOURCE_DATE_EPOCH or now). */
  date?: Date;
}

export interface PreparedBuild {
  plan: MediaPlan;
  date: Date;
  release: PreparedFiles;
  inspection: ReleaseInspection;
  rendered: RenderResult | null;
  /** The cache folder of the build: OS images checked once are remembered there. */
  cacheDir?: string;
  /** Remove the temporary files of the build (the unpacked release). Call when done. */
  dispose(): Promise<void>;
}

export function buildDate(env: NodeJS.ProcessEnv = process.env): Date {
  const epoch = env.SOURCE_DATE_EPOCH;
  if (epoch !== undefined && /^\d+$/.test(epoch)) return new Date(Number(epoch) * 1000);
  return new Date(Math.floor(Date.now() / 1000) * 1000);
}

/** What the profile renderer needs to know of the release, from its inspection. */
export function renderContextOf(inspection: ReleaseInspection, releaseName: string): RenderContext {
  const root = inspection.rootfs;
  const binaries = new Set(root ? root.binaries : []);
  return {
    layout: inspection.layout,
    releaseName,
    hasBinary: (name) => (root ? binaries.has(name) : null),
    unit: (name) => {
      if (!root) return null;
      const u = root.units.find((x) => x.name === name);
      return u ? { exists: true, isEnabled: u.wantedBy.length > 0 && !u.isMasked } : { exists: false, isEnabled: false };
    },
  };
}

const TITLES: Record<MediaMode, string> = {
  emf: 'Edge Microvisor Bootkit (EMT-Tink) - EMF onboarding',
  standalone: 'Edge Microvisor Bootkit (EMT-Tink) - standalone installer',
  none: 'Edge Microvisor Bootkit (EMT-Tink)',
};

/**
 * Everything up to the bytes: read and inspect the release, render the profile, add the overlay
 * folder, plan the ISO. Phases report progress as `read`, `inspect`.
 */
export async function prepareBuild(input: BuildInput, options: { onProgress?: OnProgress; signal?: AbortSignal } = {}): Promise<PreparedBuild> {
  let prepared: PreparedRelease | null = null;
  const dispose = async () => {
    await prepared?.dispose();
  };
  try {
    const kit: BootKit = await locateKit({ setting: input.kitDir, resourcesPath: input.resourcesPath });
    const bootChain: BootChain | null = input.bootChainDir ? await readBootChain(input.bootChainDir) : null;
    options.onProgress?.({ phase: 'read', done: 0, total: 1, bytesPerSecond: null, etaSeconds: null });
    prepared = await prepareRelease(input.release, { cacheDir: input.cacheDir, contentKey: input.releaseSha256, signal: options.signal, onProgress: options.onProgress });
    throwIfAborted(options.signal);
    const { files: release, inspection } = prepared;
    let rendered: RenderResult | null = null;
    if (input.profile) {
      rendered = render(input.profile, renderContextOf(inspection, release.displayName), { password: input.password, baseDir: input.profileDir });
      if (!rendered.isRenderable || hasErrors(rendered.findings)) {
        const first = rendered.findings.find((f) => f.severity === 'error')!;
        throw new EmtError('E_PROFILE_INVALID', `The profile has ${rendered.findings.filter((f) => f.severity === 'error').length} error(s); the first: ${first.message}`, first.hint, { details: { findings: rendered.findings } });
      }
    }
    const date = input.date ?? buildDate();
    const plan = await planBuild(input, { kit, bootChain, release, inspection, rendered, date });
    return { plan, date, release, inspection, rendered, cacheDir: input.cacheDir, dispose };
  } catch (e) {
    await dispose();
    throw e;
  }
}

/**
 * The media plan for a release read and inspected, with the profile already rendered against it
 * (null: the release as published): the overlay (plus `--overlay DIR`), the kernel command line,
 * the boot loader, the ISO layout. Shared by the build and by the check before it.
 */
export async function planBuild(
  input: BuildInput,
  parts: { kit: BootKit; bootChain: BootChain | null; release: PreparedFiles; inspection: ReleaseInspection; rendered: RenderResult | null; date: Date },
): Promise<MediaPlan> {
  const { rendered } = parts;
  const overlay = new Overlay();
  if (rendered) overlay.merge(rendered.overlay);
  if (input.overlayDir) await overlayFromDirectory(input.overlayDir, overlay);
  const mode: MediaMode = input.profile?.mode ?? 'none';
  return planMedia({
    release: parts.release,
    inspection: parts.inspection,
    overlay,
    mode,
    releaseId: input.releaseId,
    profileDigest: input.profile ? sha256(JSON.stringify(input.profile)) : undefined,
    profileArgs: rendered?.kernelArgs ?? [],
    userArgs: (input.append ?? []).flatMap(splitCmdline),
    kit: parts.kit,
    bootChain: parts.bootChain,
    date: parts.date,
    menuTitle: input.menuTitle ?? TITLES[mode],
    timeoutSeconds: input.timeoutSeconds,
    findings: [...(rendered?.findings ?? [])],
  });
}

/** Build an ISO file: `emt-media build … --out X.iso`. */
export async function buildIsoFile(input: BuildInput, out: string, options: { onProgress?: OnProgress; signal?: AbortSignal } = {}): Promise<BuildResult> {
  const prepared = await prepareBuild(input, options);
  try {
    const result = await writeIso(prepared.plan, out, options);
    if (prepared.rendered?.stick) {
      result.findings.push({
        severity: 'warning',
        code: 'W_STANDALONE_ISO_ONLY',
        message: 'This ISO holds the installer only: the OS image, config-file and password go onto partitions 5-7 of the stick, which an ISO cannot carry.',
        hint: 'Write the stick directly (--target), or make a stick image with --out X.img --size 16G.',
      });
    }
    return result;
  } finally {
    await prepared.dispose();
  }
}

/**
 * What goes onto a stick of `diskBytes`: the ISO for EMF (or no profile), the whole seven-partition
 * layout for standalone mode.
 */
export async function mediaSource(prepared: PreparedBuild, diskBytes: number): Promise<{ source: ByteSource & { unusedRanges?: readonly ByteRange[] }; kind: 'iso' | 'stick'; partitions?: StickPartition[] }> {
  const stick = prepared.rendered?.stick;
  if (!stick) {
    if (prepared.plan.iso.source.size > diskBytes) {
      throw new EmtError('E_STICK_TOO_SMALL', `The stick is ${(diskBytes / 1e9).toFixed(1)} GB; this media needs ${(prepared.plan.iso.source.size / 1e9).toFixed(1)} GB.`, 'Use a larger stick.');
    }
    return { source: prepared.plan.iso.source, kind: 'iso' };
  }
  const seed = `${prepared.release.displayName}:${prepared.date.toISOString()}:${prepared.plan.iso.layout.size}:${diskBytes}`;
  const layout = await planStandaloneStick(prepared.plan.iso, stick, diskBytes, seed, prepared.date, { cacheDir: prepared.cacheDir });
  return { source: layout, kind: 'stick', partitions: layout.partitions };
}

/** A stick image file (`--out X.img --size 16G`): for BMC virtual USB media or flashing later. */
export async function buildImageFile(input: BuildInput, out: string, diskBytes: number, options: { onProgress?: OnProgress; signal?: AbortSignal } = {}): Promise<BuildResult> {
  const prepared = await prepareBuild(input, options);
  try {
    const t0 = performance.now();
    const media = await mediaSource(prepared, diskBytes);
    const sha256 = await writeSourceToFile(media.source, out, options);
    return {
      output: out,
      kind: media.kind,
      size: media.source.size,
      sha256,
      manifest: prepared.plan.manifest(),
      findings: prepared.plan.findings,
      seconds: Math.round((performance.now() - t0) / 100) / 10,
      ...(media.partitions ? { partitions: media.partitions } : {}),
    };
  } finally {
    await prepared.dispose();
  }
}
