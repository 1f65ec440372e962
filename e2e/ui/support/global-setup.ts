import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The suite tests what ships: the production build of the renderer (and, for the Electron project,
 * main and preload). It also needs the plain fixture release and the boot loader kit that
 * `scripts/prepare-test-assets.sh` makes; without them it stops with the command to run.
 */
export default function globalSetup(): void {
  const root = join(import.meta.dirname, '..', '..', '..');
  for (const needed of ['.cache/fixtures/plain/fixture.json', '.kit/kit.json']) {
    if (!existsSync(join(root, needed))) throw new Error(`${needed} is missing: run \`bash scripts/prepare-test-assets.sh\` first (npm test does).`);
  }
  execFileSync('nice', ['npx', 'vite', 'build', '-c', 'vite.renderer.config.ts', '--logLevel', 'warn'], { cwd: root, stdio: 'inherit' });
  if (process.env.EMT_E2E_ELECTRON === '1') execFileSync('nice', ['npx', 'tsx', 'main/bundle.ts'], { cwd: root, stdio: 'inherit' });
}
