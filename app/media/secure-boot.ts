import type { SecureBootStatus } from '../contract/build';
import { isEmtError } from '../errors';
import { openRandomAccess } from '../formats/byte-source';
import type { BootChain } from '../kit/boot-chain';
import { readPeSignature } from '../kit/pe-signature';

/**
 * Whether the media can boot with UEFI Secure Boot on (DOMAIN.md §4). The kit's GRUB is unsigned:
 * Secure Boot must be off. A user's shim chain can boot with it on when shim and GRUB are signed
 * and the kernel is signed by a key the shim trusts; the initrds and grub.cfg are not verified by
 * shim/GRUB, which is why our customization survives Secure Boot at all.
 */
export async function secureBootStatus(chain: BootChain | null, kernelPath: string): Promise<SecureBootStatus> {
  if (!chain) {
    return {
      state: 'off-required',
      explanation: 'This media starts an unsigned GRUB: turn Secure Boot off in the firmware setup before booting it, or build with a signed boot chain.',
    };
  }
  const bootChain = {
    source: chain.dir,
    files: [chain.shim, chain.grub, ...(chain.mokManager ? [chain.mokManager] : [])].map((f) => ({ name: f.name, sha256: f.sha256, isSigned: f.isSigned })),
  };
  if (!chain.isSigned) {
    const unsigned = [chain.shim, chain.grub].filter((f) => !f.isSigned).map((f) => f.name);
    return {
      state: 'off-required',
      explanation: `The boot chain's ${unsigned.join(' and ')} ${unsigned.length > 1 ? 'are' : 'is'} not signed: turn Secure Boot off before booting this media.`,
      bootChain,
    };
  }
  const ra = await openRandomAccess(kernelPath);
  // A kernel built without the EFI stub is no PE file: it cannot carry a signature, which is a fact
  // about the media (Secure Boot must be off), not a reason to refuse the build.
  const kernel = await readPeSignature(ra, kernelPath)
    .catch((e: unknown) => {
      if (isEmtError(e) && e.code === 'E_PE_INVALID') return { isSigned: false, signers: [] };
      throw e;
    })
    .finally(() => ra.close());
  if (!kernel.isSigned) {
    return {
      state: 'off-required',
      explanation: 'The boot chain is signed but the release kernel is not: GRUB will refuse it with Secure Boot on. Turn Secure Boot off, or use a release with a signed kernel.',
      bootChain,
    };
  }
  const signers = kernel.signers.map((s) => s.subject).join(', ');
  return {
    state: 'possible',
    explanation: `Boots with Secure Boot on if the firmware trusts the shim and the shim trusts the kernel's signer (${signers || 'unknown'}); otherwise enroll that key as a MOK or turn Secure Boot off.`,
    bootChain,
  };
}
