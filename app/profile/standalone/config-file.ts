import { Document, parseDocument, isMap, isSeq } from 'yaml';
import type { Findings } from '../findings';
import { CONFIG_KEYS, type ConfigView } from './config-view';

/**
 * The standalone installer's config-file (DOMAIN.md §3): written from a profile's fields, or read
 * from a file the technician already has. Upstream's installer reads the shell part with grep and
 * cut, and everything from the first `services:`/`write_files:`/`runcmd:` line on with yq.
 */

const FILE_FIELD = 'standalone.configFile.file';
/** upstream install-os.sh: awk '/^[[:space:]]*(services|write_files|runcmd):/' starts the YAML. */
const YAML_START = /^\s*(services|write_files|runcmd):/;
const SHELL_LINE = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/;
const SECRET_KEY = /^(passwd|password|psswd|pass|pwd)$/i;

/** Render a valid view as config-file text. */
export function renderConfigFile(v: ConfigView): string {
  const lines = [
    '# config-file for the EMT standalone installer, written by EMT Media Builder.',
    '# The installer reads the key="value" lines with grep and the YAML sections below with yq.',
    '# The password is not in this file: it is in .psswd beside it.',
    '',
  ];
  for (const key of CONFIG_KEYS) {
    const entry = v.values.get(key);
    if (entry) lines.push(`${key}="${entry.value}"`);
  }
  lines.push('');
  const sections = new Document({ services: { enable: v.services.enable, disable: v.services.disable }, write_files: v.writeFiles });
  const servicesNode = sections.getIn(['services'], true);
  // Flow lists for services, as upstream's template writes them ("enable: [docker, ssh]").
  if (isMap(servicesNode)) for (const item of servicesNode.items) if (isSeq(item.value)) item.value.flow = true;
  const writeFiles = sections.getIn(['write_files'], true);
  if (isSeq(writeFiles) && writeFiles.items.length === 0) writeFiles.flow = true;
  lines.push(sections.toString({ indent: 4, blockQuote: 'literal', lineWidth: 0 }).trimEnd());
  // runcmd items go out verbatim: the installer strips "- " with awk and keeps the rest as shell.
  lines.push('runcmd:');
  for (const cmd of v.runcmd) lines.push(`  - ${String(cmd)}`);
  return `${lines.join('\n')}\n`;
}

/** Read config-file text into a view; syntax problems become findings with their line numbers. */
export function parseConfigFile(f: Findings, text: string): ConfigView {
  const view: ConfigView = { values: new Map(), services: { enable: [], disable: [] }, writeFiles: [], runcmd: [], fieldOf: () => FILE_FIELD };
  if (text.includes('\r')) {
    f.error('E_CONFIG_CRLF', FILE_FIELD, 'The config-file has Windows line endings; the installer would keep a CR at the end of every value.', 'Convert it to Unix line endings (dos2unix, or "LF" in your editor).');
    return view;
  }
  const lines = text.split('\n');
  let yamlAt = lines.findIndex((l) => YAML_START.test(l));
  if (yamlAt < 0) yamlAt = lines.length;
  for (const [i, line] of lines.slice(0, yamlAt).entries()) readShellLine(f, view, line, i + 1);
  for (const [i, line] of lines.slice(yamlAt).entries()) {
    if (SHELL_LINE.test(line)) {
      f.error('E_CONFIG_KEY_AFTER_YAML', FILE_FIELD, `Line ${yamlAt + i + 1} ("${line.slice(0, 40)}") sets a key after the YAML sections began; the installer's YAML reader fails on it.`, 'Move all key="value" lines above the services: line.');
      return view;
    }
  }
  readYaml(f, view, lines.slice(yamlAt).join('\n'), yamlAt);
  return view;
}

function readShellLine(f: Findings, view: ConfigView, line: string, n: number): void {
  if (line.trim() === '' || line.trimStart().startsWith('#')) return;
  const m = SHELL_LINE.exec(line);
  if (!m) {
    f.error('E_CONFIG_LINE', FILE_FIELD, `Line ${n} of the config-file ("${line.slice(0, 40)}") is neither key="value" nor a comment.`, 'Fix the line: no spaces around "=", the key at the start of the line.');
    return;
  }
  const key = m[1]!;
  let value = m[2]!;
  if (SECRET_KEY.test(key)) {
    f.error('E_CONFIG_PASSWORD', FILE_FIELD, `Line ${n} of the config-file sets ${key}. It is refused: a password does not belong in the config-file or the profile.`, 'Remove the line; the password is asked when the media is built and written to .psswd.');
    return;
  }
  if (/^".*"$/.test(value)) value = value.slice(1, -1);
  else if (/^'.*'$/.test(value)) {
    f.error('E_CONFIG_VALUE', FILE_FIELD, `Line ${n}: ${key} is in single quotes, which the installer keeps as part of the value.`, `Use double quotes: ${key}="${value.slice(1, -1)}"`);
    return;
  }
  if (view.values.has(key)) {
    f.error('E_CONFIG_DUPLICATE_KEY', FILE_FIELD, `${key} is set twice (again on line ${n}); the installer's grep would read both lines as one value.`, 'Keep one line per key.');
    return;
  }
  if (!(CONFIG_KEYS as readonly string[]).includes(key)) {
    f.warn('W_CONFIG_UNKNOWN_KEY', FILE_FIELD, `Line ${n} sets ${key}, which the installer does not read.`, 'Check the spelling; remove the line if it is not needed.');
  }
  view.values.set(key, { value, line: n });
}

function readYaml(f: Findings, view: ConfigView, text: string, lineOffset: number): void {
  if (text.trim() === '') return;
  const doc = parseDocument(text, { uniqueKeys: true });
  if (doc.errors.length > 0) {
    for (const err of doc.errors) {
      const line = (err.linePos?.[0]?.line ?? 1) + lineOffset;
      f.error('E_CONFIG_YAML', FILE_FIELD, `The YAML part of the config-file is invalid at line ${line}: ${err.message.split('\n')[0]}`, 'Fix the indentation or syntax at that line (spaces, not tabs; "- " before list items).');
    }
    return;
  }
  const data: unknown = doc.toJS();
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    f.error('E_CONFIG_SECTION', FILE_FIELD, 'The YAML part of the config-file is not a set of sections.', 'Start it with services:, write_files: and runcmd:.');
    return;
  }
  const d = data as Record<string, unknown>;
  for (const key of Object.keys(d)) {
    if (!['services', 'write_files', 'runcmd'].includes(key)) f.warn('W_CONFIG_UNKNOWN_SECTION', FILE_FIELD, `The config-file has a section "${key}", which the installer does not read.`, 'Remove it, or move its content into write_files or runcmd.');
  }
  const services = d.services ?? {};
  if (typeof services !== 'object' || Array.isArray(services)) {
    f.error('E_CONFIG_SECTION', FILE_FIELD, 'services: must hold enable: and disable: lists.', 'Write it as services: {enable: [docker], disable: []}.');
  } else {
    const s = services as Record<string, unknown>;
    for (const part of ['enable', 'disable'] as const) {
      const list = s[part] ?? [];
      if (Array.isArray(list)) view.services[part] = list;
      else f.error('E_CONFIG_SECTION', FILE_FIELD, `services.${part} is not a list.`, `Write it as ${part}: [name, name].`);
    }
  }
  for (const key of ['write_files', 'runcmd'] as const) {
    const list = d[key] ?? [];
    if (!Array.isArray(list)) {
      f.error('E_CONFIG_SECTION', FILE_FIELD, `${key}: is not a list.`, `Write each entry of ${key} on its own line starting with "- ".`);
    } else if (key === 'write_files') view.writeFiles = list;
    else view.runcmd = list;
  }
}
