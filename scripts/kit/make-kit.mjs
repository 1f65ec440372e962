#!/usr/bin/env node
// `npm run kit` (see kit-maker.ts). The kit maker is TypeScript because it shares the kit.json
// schema with the app; tsx, a dev dependency of every checkout, runs it in this process.
let register;
try {
  ({ register } = await import('tsx/esm/api'));
} catch {
  process.stderr.write('make-kit: the dev dependencies are not installed.\n  fix: run `npm ci` in this checkout first, then `npm run kit`.\n');
  process.exit(1);
}
register();
const { main } = await import('./kit-maker.ts');
process.exitCode = await main(process.argv.slice(2));
