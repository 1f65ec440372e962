import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fuser, parseFuserPids } from './platform-linux';

const dir = mkdtempSync(join(tmpdir(), 'emt-fuser-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('who holds a device', () => {
  it('parses the pids fuser prints, access letters glued on', () => {
    expect(parseFuserPids(' 14845c 2210 77rce\n', 2210)).toEqual([14845, 77]);
  });

  it('names a real holder, found by the real fuser', async () => {
    const file = join(dir, 'held');
    writeFileSync(file, 'x');
    // A shell that opens the file on descriptor 3, then becomes `sleep` keeping it open.
    const holder = spawn('sh', ['-c', `exec 3<"${file}"; exec sleep 30`], { stdio: 'ignore' });
    try {
      await new Promise((r) => setTimeout(r, 300));
      expect(await fuser([file])).toEqual([`sleep (pid ${holder.pid})`]);
    } finally {
      holder.kill('SIGKILL');
    }
  });
});
