/**
 * The boot menus on the media: GRUB (UEFI, via the kit's or the user's CD GRUB, which finds the disc
 * by /.disk/info and reads /boot/grub/grub.cfg) and ISOLINUX (BIOS). Both load the release's
 * initramfs and then ours, and both talk on the first serial port as well as the screen, so that a
 * BMC console or a test harness sees the menu.
 */
export interface BootMenuSpec {
  /** Menu title, ASCII (serial consoles and GRUB's default font). */
  title: string;
  kernelPath: string;
  initrdPaths: string[];
  cmdline: string;
  /** Seconds the menu waits before booting the default entry. */
  timeoutSeconds: number;
}

const GRUB_PLAIN_WORD = /^[A-Za-z0-9_.,:=/@+%-]+$/;

/** GRUB's shell-like parser would act on `$ ; | & { } " '` and spaces: quote such words. */
function grubWord(word: string): string {
  return GRUB_PLAIN_WORD.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

function asciiTitle(title: string): string {
  return title.replace(/[^\x20-\x7e]/g, '-').replace(/["\\$]/g, '');
}

export function grubConfig(spec: BootMenuSpec): string {
  const args = spec.cmdline.split(' ').filter(Boolean).map(grubWord).join(' ');
  return [
    '# Made by EMT Media Builder. The build manifest is /emt-media.json.',
    `set timeout=${spec.timeoutSeconds}`,
    'set default=0',
    'serial --unit=0 --speed=115200',
    'terminal_input console serial',
    'terminal_output console serial',
    `menuentry "${asciiTitle(spec.title)}" {`,
    `  linux ${spec.kernelPath} ${args}`.trimEnd(),
    `  initrd ${spec.initrdPaths.join(' ')}`,
    '}',
    'menuentry "Firmware setup (UEFI)" {',
    '  fwsetup',
    '}',
    '',
  ].join('\n');
}

export function isolinuxConfig(spec: BootMenuSpec): string {
  return [
    '# Made by EMT Media Builder. The build manifest is /emt-media.json.',
    'SERIAL 0 115200',
    'DEFAULT emt',
    'PROMPT 1',
    // ISOLINUX counts in tenths of a second; 0 would wait forever.
    `TIMEOUT ${Math.max(1, spec.timeoutSeconds * 10)}`,
    `SAY ${asciiTitle(spec.title)}: booting in ${spec.timeoutSeconds} s (press Enter to boot now)`,
    'LABEL emt',
    `  KERNEL ${spec.kernelPath}`,
    `  INITRD ${spec.initrdPaths.join(',')}`,
    `  APPEND ${spec.cmdline}`,
    '',
  ].join('\n');
}
