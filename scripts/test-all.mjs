#!/usr/bin/env node
// The one test command (README, .ci/run): every suite in order, then one closing summary line.
//   npm test                    everything
//   npm test -- unit boot       only the named steps
// Steps: typecheck lint unit prepare boot ui
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, existsSync } from 'node:fs';

const out = '.cache/test-results';
mkdirSync(out, { recursive: true });

const steps = [
  { name: 'typecheck', cmd: ['npm', 'run', '--silent', 'typecheck'] },
  { name: 'lint', cmd: ['npm', 'run', '--silent', 'lint'] },
  { name: 'unit', cmd: ['npx', 'vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${out}/unit.json`], json: `${out}/unit.json` },
  { name: 'prepare', cmd: ['bash', 'scripts/prepare-test-assets.sh'] },
  { name: 'boot', cmd: ['npx', 'vitest', 'run', '-c', 'vitest.boot.config.ts', '--reporter=default', '--reporter=json', `--outputFile.json=${out}/boot.json`], json: `${out}/boot.json` },
  { name: 'ui', cmd: ['npx', 'playwright', 'test'], json: `${out}/ui.json`, env: { PLAYWRIGHT_JSON_OUTPUT_NAME: `${out}/ui.json` } },
];

const wanted = process.argv.slice(2);
const results = [];
for (const step of steps) {
  if (wanted.length && !wanted.includes(step.name)) continue;
  if (step.cmd[0] === 'npx' && step.name === 'ui' && !existsSync('playwright.config.ts')) continue;
  console.log(`\n=== ${step.name}: ${step.cmd.join(' ')}`);
  const t0 = Date.now();
  const r = spawnSync(step.cmd[0], step.cmd.slice(1), { stdio: 'inherit', env: { ...process.env, ...step.env } });
  const seconds = Math.round((Date.now() - t0) / 1000);
  results.push({ name: step.name, ok: r.status === 0, seconds, counts: step.json ? readCounts(step.json) : null });
}

function readCounts(file) {
  try {
    const j = JSON.parse(readFileSync(file, 'utf8'));
    if ('numTotalTests' in j) return { passed: j.numPassedTests, failed: j.numFailedTests, total: j.numTotalTests };
    if (j.stats) return { passed: j.stats.expected, failed: j.stats.unexpected, total: j.stats.expected + j.stats.unexpected + j.stats.flaky + j.stats.skipped };
  } catch {
    /* the step failed before writing its report */
  }
  return null;
}

const failed = results.filter((r) => !r.ok);
const tests = results.reduce((n, r) => n + (r.counts?.total ?? 0), 0);
const passed = results.reduce((n, r) => n + (r.counts?.passed ?? 0), 0);
const parts = results.map((r) => `${r.name} ${r.ok ? 'ok' : 'FAILED'}${r.counts ? ` ${r.counts.passed}/${r.counts.total}` : ''} (${r.seconds}s)`);
console.log(`\nSUMMARY: ${failed.length ? 'FAILED' : 'PASSED'} — ${passed}/${tests} tests passed; ${parts.join(', ')}`);
process.exit(failed.length || results.length === 0 || tests === 0 ? 1 : 0);
