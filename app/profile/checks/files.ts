import type { EmbeddedFile } from '../../contract/profile';
import type { Findings } from '../findings';
import { at } from '../findings';

/**
 * An embedded file keeps its original name, and that name becomes a path on the media
 * (`/etc/scripts/<name>`): it must be one plain name that cannot climb out of its folder.
 */
export function checkFileName(f: Findings, field: string, name: string): boolean {
  // eslint-disable-next-line no-control-regex
  const isBad = name === '' || name === '.' || name === '..' || /[/\\]/.test(name) || /[\x00-\x1f\x7f]/.test(name);
  if (isBad) {
    f.error('E_FILE_NAME', at(field, 'name'), `The file name "${printable(name)}" is not a plain file name; it could land outside its folder.`, 'Use a name without slashes, backslashes or "..", such as install-os.sh.');
    return false;
  }
  return true;
}

function printable(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\x00-\x1f\x7f]/g, '?');
}

export function byteLength(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/** Name, size, emptiness and text-ness of an embedded file. Returns false when its content is unusable. */
export function checkTextFile(f: Findings, field: string, file: EmbeddedFile, label: string, maxBytes: number): boolean {
  if (!checkFileName(f, field, file.name)) return false;
  const size = byteLength(file.content);
  if (size > maxBytes) {
    f.error('E_FILE_TOO_LARGE', at(field, 'content'), `${label} (${file.name}) is ${size} bytes; at most ${maxBytes} bytes are accepted.`, 'Check that you picked the right file; this kind of file is normally a few kilobytes.');
    return false;
  }
  if (file.content.trim() === '') {
    f.error('E_FILE_EMPTY', at(field, 'content'), `${label} (${file.name}) is empty.`, 'Pick the file again; it has no content.');
    return false;
  }
  if (file.content.includes('\0') || file.content.includes('\uFFFD')) {
    f.error('E_FILE_BINARY', at(field, 'content'), `${label} (${file.name}) is not a text file.`, 'Pick the text file itself, not an archive or an image.');
    return false;
  }
  return true;
}

/**
 * A script the node executes directly (ExecStart=, ExecStartPre=): the kernel needs `#!` as its
 * first two bytes, and a CR at the end of the shebang line names an interpreter that does not exist.
 */
export function checkScript(f: Findings, field: string, file: EmbeddedFile, label: string, maxBytes: number): boolean {
  if (!checkTextFile(f, field, file, label, maxBytes)) return false;
  let isOk = true;
  if (file.content.startsWith('\uFEFF')) {
    f.error('E_SCRIPT_BOM', at(field, 'content'), `${label} (${file.name}) starts with a byte-order mark, so the node cannot run it.`, 'Save the script as UTF-8 without BOM.');
    isOk = false;
  } else if (!file.content.startsWith('#!')) {
    f.error('E_SCRIPT_NO_SHEBANG', at(field, 'content'), `${label} (${file.name}) does not start with a #! line, so the node cannot run it.`, 'Add the interpreter as the first line, e.g. #!/bin/sh or #!/bin/bash.');
    isOk = false;
  }
  if (file.content.includes('\r\n')) {
    const line = file.content.slice(0, file.content.indexOf('\r\n')).split('\n').length;
    f.error('E_SCRIPT_CRLF', at(field, 'content'), `${label} (${file.name}) has Windows line endings (CRLF, first on line ${line}); the shell on the node fails on them.`, 'Convert it to Unix line endings (dos2unix, or "LF" in your editor).');
    isOk = false;
  }
  return isOk;
}
