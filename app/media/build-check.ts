import type { BuildCheck, Finding } from '../contract/build';
import { isEmtError, throwIfAborted } from '../errors';
import type { IsoImage } from '../formats/iso9660/writer';
import type { OnProgress } from '../jobs/progress';
import { describeBootChain, readBootChain } from '../kit/boot-chain';
import { locateKit } from '../kit/locate-kit';
import { hasErrors } from '../profile/findings';
import { render } from '../profile/render';
import type { RenderResult, StickContent } from '../profile/render-types';
import { SecretText } from '../profile/secrets';
import { checkStickFiles } from '../profile/standalone/stick-files';
import { prepareRelease } from '../release/prepared-release';
import { buildDate, planBuild, renderContextOf, type BuildInput } from './build';
import { secureBootStatus } from './secure-boot';
import { planStandaloneStick } from './stick-layout';

/**
 * Everything a build would find, without writing media: what `emt-media profile validate FILE
 * --release R` reports (the release's own findings, the profile rendered against the release with
 * render's preflight, the standalone stick's files), plus what only planning the media tells —
 * whether the overlay fits the node's tmpfs, the Secure Boot status of the boot chain and kernel,
 * the exact ISO size and, for a standalone stick, the smallest stick it fits on. The release is
 * prepared as a build prepares it (kept in the cache), so the build that follows starts from it.
 */
export async function checkBuild(input: BuildInput, options: { onProgress?: OnProgress; signal?: AbortSignal } = {}): Promise<BuildCheck> {
  const kit = await locateKit({ setting: input.kitDir, resourcesPath: input.resourcesPath });
  const bootChain = input.bootChainDir ? await readBootChain(input.bootChainDir) : null;
  options.onProgress?.({ phase: 'read', done: 0, total: 1, bytesPerSecond: null, etaSeconds: null });
  const prepared = await prepareRelease(input.release, { cacheDir: input.cacheDir, contentKey: input.releaseSha256, signal: options.signal, onProgress: options.onProgress });
  try {
    throwIfAborted(options.signal);
    const { files: release, inspection } = prepared;
    let rendered: RenderResult | null = null;
    const own: Finding[] = [];
    if (input.profile) {
      rendered = render(input.profile, renderContextOf(inspection, release.displayName), { baseDir: input.profileDir });
      own.push(...rendered.findings);
      if (input.profile.mode === 'standalone') own.push(...(await checkStickFiles(input.profile, input.profileDir ?? process.cwd())).findings);
    }
    const base = {
      release: { name: release.displayName, layout: inspection.layout },
      secureBoot: await secureBootStatus(bootChain, release.kernel.path),
      bootChain: bootChain && describeBootChain(bootChain),
    };
    // With an error nothing can be laid out (render leaves the overlay empty): say so, and no sizes.
    if (hasErrors(own) || (rendered && !rendered.isRenderable)) {
      return { ...base, findings: [...own, ...inspection.findings], media: { isoBytes: null, stickMinBytes: null } };
    }
    const date = input.date ?? buildDate();
    // planMedia adds the release's findings and whether the overlay fits to the render's own.
    const plan = await planBuild(input, { kit, bootChain, release, inspection, rendered, date });
    const stickFindings = own.filter((f) => !rendered?.findings.includes(f));
    const stick = rendered?.stick ?? null;
    return {
      ...base,
      findings: [...plan.findings, ...stickFindings],
      media: { isoBytes: plan.iso.source.size, stickMinBytes: stick ? await standaloneMinimumBytes(plan.iso, stick, date) : null },
    };
  } finally {
    await prepared.dispose();
  }
}

/**
 * The smallest stick the standalone layout fits on, as the layout itself computes it: asked to lay
 * out the stick on zero bytes, it refuses with the size it needs. The password is typed later (at
 * Build) and only fills .psswd inside the fixed-size config partition, so an empty one stands in
 * for it here; nothing is written.
 */
async function standaloneMinimumBytes(iso: IsoImage, stick: StickContent, date: Date): Promise<number | null> {
  try {
    await planStandaloneStick(iso, { ...stick, passwordFile: stick.passwordFile ?? new SecretText('') }, 0, 'size check', date);
  } catch (e) {
    if (isEmtError(e) && e.code === 'E_STICK_TOO_SMALL') {
      const needed = e.details?.needed;
      if (typeof needed === 'number') return needed;
    }
    throw e;
  }
  return null;
}
