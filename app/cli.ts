#!/usr/bin/env node
/**
 * `emt-media`: the engine from the command line, for support staff and build pipelines.
 * Every command prints plain output by default and a JSON document with --json; failures print
 * the error code, what happened and how to fix it, and exit 1 (2 for wrong usage).
 */
import { commands } from './cli/registry';
import { parse, formatBytes, type CliIo } from './cli/command';
import { isEmtError, toEmtError } from './errors';
import { askSecret, readStdin } from './cli/tty';

export async function main(argv: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.out('emt-media — build and write installer media for Edge Microvisor Bootkit (EMT-Tink)\n');
    io.out('Usage: emt-media <command> [options]\n');
    for (const c of commands) io.out(`  ${c.name.padEnd(10)} ${c.summary}`);
    io.out('\nRun `emt-media <command> --help` for the options of a command.');
    return 0;
  }
  if (name === '--version') {
    io.out(process.env.npm_package_version ?? '0.1.0');
    return 0;
  }
  const cmd = commands.find((c) => c.name === name);
  if (!cmd) {
    io.err(`error E_USAGE: there is no command "${name}".\n  fix: run emt-media --help for the list.`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out(`Usage: emt-media ${cmd.usage}`);
    return 0;
  }
  const json = rest.includes('--json');
  try {
    return await cmd.run(parse(cmd, rest), io);
  } catch (e) {
    const err = toEmtError(e);
    if (json) io.out(JSON.stringify({ ok: false, error: err.toJSON() }, null, 2));
    else io.err(`error ${err.code}: ${err.message}\n  fix: ${err.hint}`);
    if (!isEmtError(e) && process.env.EMT_DEBUG) io.err(String((e as Error).stack));
    return err.code === 'E_USAGE' ? 2 : 1;
  }
}

function terminalProgress(): CliIo['progress'] {
  if (!process.stderr.isTTY) return () => {};
  return (e) => {
    const pct = e.total > 0 ? Math.min(100, Math.floor((e.done / e.total) * 100)) : 0;
    const speed = e.bytesPerSecond ? ` ${formatBytes(e.bytesPerSecond)}/s` : '';
    const eta = e.etaSeconds !== null && e.etaSeconds !== undefined ? ` ${Math.ceil(e.etaSeconds)}s left` : '';
    const who = e.target ? `${e.target} ` : '';
    process.stderr.write(`\r\x1b[K${who}${e.phase} ${pct}% ${formatBytes(e.done)}/${formatBytes(e.total)}${speed}${eta}`);
    if (e.done >= e.total) process.stderr.write('\n');
  };
}

const isEntry = process.argv[1] && /cli\.(ts|cjs|js)$/.test(process.argv[1]);
if (isEntry) {
  main(process.argv.slice(2), {
    out: (l) => process.stdout.write(`${l}\n`),
    err: (l) => process.stderr.write(`${l}\n`),
    progress: terminalProgress(),
    askSecret,
    readStdin,
    env: process.env,
    cwd: process.cwd(),
  }).then(
    (code) => {
      process.exitCode = code;
    },
    (e) => {
      process.stderr.write(`${String(e?.stack ?? e)}\n`);
      process.exitCode = 1;
    },
  );
}
