import type { Finding } from '../contract/build';
import { EmtError } from '../errors';

const GIB = 2 ** 30;
const mib = (n: number) => Math.ceil(n / 2 ** 20);

/**
 * The Bootkit runs from a tmpfs (1 GiB unless its hook says otherwise). The vendor root plus our
 * overlay must fit, with room for what the running system writes (logs, containerd state).
 */
export function checkOverlayFits(rootBytes: number, overlayBytes: number, tmpfsBytes: number | null, findings: Finding[]): void {
  const limit = tmpfsBytes ?? GIB;
  const total = rootBytes + overlayBytes;
  if (total > limit) {
    throw new EmtError(
      'E_MEDIA_ROOT_FULL',
      `The Bootkit's root (${mib(rootBytes)} MiB) plus the customization (${mib(overlayBytes)} MiB) need ${mib(total)} MiB; its tmpfs holds ${mib(limit)} MiB.`,
      'Remove large files from the customization; OS images and apps belong on the stick, not in the boot image.',
    );
  }
  if (total > limit * 0.9) {
    findings.push({
      severity: 'warning',
      code: 'W_MEDIA_ROOT_NEARLY_FULL',
      message: `The Bootkit's root plus the customization fill ${Math.round((total / limit) * 100)}% of the ${mib(limit)} MiB tmpfs; little room is left for what the node writes at run time.`,
      hint: 'Keep the customization small.',
    });
  }
}
