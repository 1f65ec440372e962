import type { AppState } from './store-types';

/**
 * The report a technician saves after writing: what was built from what and how each stick ended.
 * Only facts already on the media or in the result; never the password.
 */
export function writeReport(s: Pick<AppState, 'appInfo' | 'releaseId' | 'profile' | 'buildResult' | 'writeResult'>, now: Date) {
  const b = s.buildResult;
  return {
    schema: 'emt-media/report@1',
    createdAt: now.toISOString(),
    tool: s.appInfo ? { name: s.appInfo.name, version: s.appInfo.version } : null,
    release: b ? { id: b.manifest.release.id ?? s.releaseId, source: b.manifest.release.source, kernel: b.manifest.release.kernel, initramfs: b.manifest.release.initramfs } : { id: s.releaseId },
    mode: s.profile?.mode ?? null,
    profile: s.profile ? { name: s.profile.name, digest: b?.manifest.profileDigest ?? null } : null,
    image: b ? { path: b.output, size: b.size, sha256: b.sha256, kernelCommandLine: b.manifest.kernelCommandLine, secureBoot: b.manifest.secureBoot.state } : null,
    sticks: (s.writeResult?.targets ?? []).map((tr) => ({
      device: tr.device,
      name: tr.name,
      ok: tr.ok,
      isVerified: tr.isVerified,
      isEjected: tr.isEjected,
      bytesWritten: tr.bytesWritten,
      bytesVerified: tr.bytesVerified,
      writeSeconds: tr.writeSeconds,
      verifySeconds: tr.verifySeconds,
      error: tr.error,
    })),
  };
}

export function reportFileName(s: Pick<AppState, 'profile' | 'releaseId'>, now: Date): string {
  const stem = (s.profile?.name ?? s.releaseId ?? 'emt-media').replace(/[^A-Za-z0-9._-]+/g, '-');
  return `${stem}-report-${now.toISOString().slice(0, 10)}.json`;
}
