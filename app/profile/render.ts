import { Overlay } from '../media/overlay';
import type { Profile, ProfilePreview } from '../contract/profile';
import { emfKernelArgs, emfPreflight, emfSummary, renderEmfOverlay } from './emf/render-emf';
import { Findings, hasErrors } from './findings';
import { checkPassword } from './password';
import type { RenderContext, RenderOptions, RenderResult } from './render-types';
import { renderStandaloneOverlay, standaloneKernelArgs, standalonePreflight, standaloneStick, standaloneSummary } from './standalone/render-standalone';
import { validateProfile } from './validate';

/**
 * render(profile, release) → what the media carries: the overlay tree for the running system,
 * the kernel parameters of the mode, the standalone stick's content, every finding, and a plain
 * summary. With an error among the findings nothing is rendered (the overlay stays empty), but
 * the findings and the summary still say what is wrong and what would go on the media.
 */
export function render(profile: Profile, ctx: RenderContext, opts: RenderOptions = {}): RenderResult {
  const now = opts.now ?? new Date();
  const f = new Findings();
  f.add(validateProfile(profile, { now }));
  if (profile.mode === 'emf') emfPreflight(f, profile, ctx);
  else {
    standalonePreflight(f, profile, ctx);
    if (opts.password) checkPassword(f, opts.password);
  }
  const summary = profile.mode === 'emf' ? emfSummary(profile, ctx, now) : standaloneSummary(profile, ctx);
  summary.push({
    topic: 'files',
    text: ctx.layout === 'bootkit' ? 'These files are unpacked into the tmpfs root after rootfs.tar.gz, before systemd starts.' : 'These files are added to the initramfs root, which is the running system.',
  });
  const overlay = new Overlay();
  if (hasErrors(f.list)) return { isRenderable: false, overlay, kernelArgs: [], stick: null, findings: f.list, summary };
  if (profile.mode === 'emf') {
    renderEmfOverlay(profile, ctx, overlay);
    return { isRenderable: true, overlay, kernelArgs: emfKernelArgs(profile), stick: null, findings: f.list, summary };
  }
  renderStandaloneOverlay(profile, overlay);
  return {
    isRenderable: true,
    overlay,
    kernelArgs: standaloneKernelArgs(profile),
    stick: standaloneStick(profile, opts.password, opts.baseDir ?? process.cwd()),
    findings: f.list,
    summary,
  };
}

/** The render result as plain data for the review screen (no content, no secret). */
export function toPreview(result: RenderResult): ProfilePreview {
  return {
    isRenderable: result.isRenderable,
    findings: result.findings,
    summary: result.summary,
    kernelArgs: result.kernelArgs,
    overlay: result.overlay.list().map((n) => ({
      path: n.path,
      kind: n.kind,
      mode: n.kind === 'symlink' ? '777' : n.mode.toString(8).padStart(3, '0'),
      ...(n.kind === 'file' ? { size: n.content.length } : {}),
      ...(n.kind === 'symlink' ? { target: n.target } : {}),
    })),
  };
}
