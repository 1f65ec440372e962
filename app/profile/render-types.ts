import type { Finding } from '../contract/build';
import type { SummaryItem } from '../contract/profile';
import type { Overlay } from '../media/overlay';
import type { SecretText } from './secrets';

/**
 * What render needs to know about the release. The media layer adapts its inspection of the
 * release (rootfs.tar.gz listing, unit files, wants/ links) to this; `null` means "not known",
 * for instance when a profile is shown without a release, and skips that check.
 */
export interface RenderContext {
  layout: 'bootkit' | 'plain';
  /** How summaries name the release, e.g. emb_uos_x86_64_20260526. */
  releaseName: string;
  /** Is there an executable of this name in /usr/bin, /usr/sbin, /bin or /sbin of the booted root? */
  hasBinary(name: string): boolean | null;
  /** The unit as the release ships it (vendor or /etc), and whether it is enabled. */
  unit(name: string): { exists: boolean; isEnabled: boolean } | null;
}

/** For `profile show` and the GUI before a release is chosen: nothing about the release is known. */
export function unknownRelease(): RenderContext {
  return { layout: 'bootkit', releaseName: 'the chosen release', hasBinary: () => null, unit: () => null };
}

/** What the standalone stick carries besides the ISO (written by the USB layer, DOMAIN.md §3). */
export interface StickContent {
  /** Partition 6: config-file. */
  configFile: string;
  /** Partition 6: .psswd (`passwd=<password>`); null until a password is supplied at build time. */
  passwordFile: SecretText | null;
  /** Partition 5: the OS image and its checksum file, absolute paths. */
  osImage: { path: string; checksumPath: string } | null;
  /** Partition 7: copied as user-apps/; null leaves the partition empty. */
  userAppsDir: string | null;
}

export interface RenderResult {
  /** False when a finding is an error: the overlay is then empty and nothing may be built. */
  isRenderable: boolean;
  overlay: Overlay;
  /**
   * Kernel parameters of the mode, in order. Keep the order when merging: tink-worker and
   * device-discovery split /proc/cmdline at single spaces, so the last word carries the line's
   * newline; the list ends with a parameter neither of them reads.
   */
  kernelArgs: string[];
  stick: StickContent | null;
  findings: Finding[];
  summary: SummaryItem[];
}

export interface RenderOptions {
  /** The standalone user's password, for .psswd; never stored, never logged. */
  password?: SecretText;
  /** The clock certificates are judged against. */
  now?: Date;
  /** The folder relative paths of the profile (OS image, user apps) are relative to. */
  baseDir?: string;
}
