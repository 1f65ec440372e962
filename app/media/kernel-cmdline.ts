import { EmtError } from '../errors';

/** x86 COMMAND_LINE_SIZE: longer command lines are cut by the kernel without a word. */
export const MAX_CMDLINE_BYTES = 2048;

/** Parameters the kernel or systemd read more than once; every occurrence counts. */
const REPEATABLE = new Set(['console', 'modules-load', 'rd.driver.pre', 'rd.driver.blacklist', 'systemd.mask', 'systemd.wants']);

/** The release's own boot parameters, by initramfs layout (DOMAIN.md §1). */
export function releaseDefaults(layout: 'bootkit' | 'plain'): string[] {
  return layout === 'bootkit' ? ['root=tmpfs', 'rootflags=mode=0755', 'rd.skipfsck', 'noresume', 'modules-load=nbd'] : [];
}

/** Serial and screen: the last console= is /dev/console, where systemd prints (as EMT-S does). */
export const CONSOLE_ARGS = ['console=tty0', 'console=ttyS0,115200'];

/**
 * Split a user's `--append` text into parameters. Double quotes group a value with spaces, as the
 * kernel's own parser allows (`key="a b"`).
 */
export function splitCmdline(text: string): string[] {
  if ([...text].some((ch) => ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f)) {
    throw new EmtError('E_CMDLINE_CHARS', 'The kernel parameters contain a line break or a control character.', 'Put all parameters on one line, separated by spaces.');
  }
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  let has = false;
  for (const ch of text) {
    if (ch === '"') {
      quoted = !quoted;
      cur += ch;
      has = true;
    } else if (/\s/.test(ch) && !quoted) {
      if (has) out.push(cur);
      cur = '';
      has = false;
    } else {
      cur += ch;
      has = true;
    }
  }
  if (quoted) throw new EmtError('E_CMDLINE_QUOTE', 'A double quote in the kernel parameters is not closed.', 'Close the quote, e.g. key="a b".');
  if (has) out.push(cur);
  return out;
}

function keyOf(param: string): string {
  const eq = param.indexOf('=');
  return eq < 0 ? param : param.slice(0, eq);
}

/**
 * Merge parameter lists in order of precedence (later lists win). A later `key=value` replaces an
 * earlier one with the same key, so the user's additions override the release defaults, except for
 * parameters that are meant to repeat (console=, modules-load=, …).
 */
export function mergeCmdline(...lists: string[][]): string {
  const merged: string[] = [];
  for (const list of lists) {
    for (const param of list) {
      if (!param) continue;
      const key = keyOf(param);
      if (!REPEATABLE.has(key)) {
        const at = merged.findIndex((p) => keyOf(p) === key);
        if (at >= 0) merged.splice(at, 1);
      } else if (merged.includes(param)) {
        continue;
      }
      merged.push(param);
    }
  }
  const line = merged.join(' ');
  if (Buffer.byteLength(line) > MAX_CMDLINE_BYTES - 1) {
    throw new EmtError(
      'E_CMDLINE_TOO_LONG',
      `The kernel command line is ${Buffer.byteLength(line)} bytes; the kernel keeps only ${MAX_CMDLINE_BYTES - 1}.`,
      'Remove parameters you do not need (long proxy lists are the usual cause).',
    );
  }
  return line;
}
