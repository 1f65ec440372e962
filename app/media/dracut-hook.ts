/**
 * The dracut hook that carries our overlay into a Bootkit's tmpfs root.
 *
 * The Bootkit's initramfs mounts a tmpfs on $NEWROOT and unpacks /rootfs.tar.gz into it from a
 * *mount* hook (90tmpfsroot). dracut stops running mount hooks once a root is mounted, so ours would
 * never run there; *pre-pivot* hooks all run just before the switch into $NEWROOT, after the root is
 * unpacked — that is where the overlay goes (TESTING.md, "Facts learned building it").
 * dracut sources hooks (`. hook.sh`), so the script uses `return`, never `exit`, and may call
 * dracut-lib's `die`, which stops the boot with the message on the console: a node that silently
 * boots without its certificates or installer is worse than one that says what is wrong.
 */
export const OVERLAY_ARCHIVE_PATH = 'emt-media/overlay.tar';
export const HOOK_NAME = '90-emt-media-overlay.sh';

export interface HookFacts {
  entries: number;
  sha256: string;
}

export function prePivotHook(facts: HookFacts): string {
  return `#!/bin/sh
# EMT Media Builder: unpack the customization overlay into the root filesystem.
# ${facts.entries} entries, overlay.tar sha256 ${facts.sha256}
emt_overlay=/${OVERLAY_ARCHIVE_PATH}
if [ ! -f "$emt_overlay" ]; then
    die "emt-media: $emt_overlay is missing from the initramfs; rebuild the media"
    return 1
fi
if ! emt_err=$(tar -xpf "$emt_overlay" -C "$NEWROOT" 2>&1); then
    die "emt-media: the overlay could not be unpacked into $NEWROOT: $emt_err"
    return 1
fi
echo "<5>emt-media: overlay applied to $NEWROOT (${facts.entries} entries, sha256 ${facts.sha256.slice(0, 16)})" > /dev/kmsg
unset emt_overlay emt_err
`;
}
