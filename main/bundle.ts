// Bundles the Electron main process, the preload and the privileged writer into dist/main (run by
// `npm run build`). The writer lands beside main.cjs, where app/flash/elevate.ts looks for it.
// The preload is CommonJS with everything inlined: a sandboxed preload can require only a few
// Electron-provided modules, never a file of ours or a package.
import { build, type BuildOptions } from 'esbuild';
import { join } from 'node:path';
import { bundleWriter } from '../app/writer/bundle';

const common: BuildOptions = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node22',
  sourcemap: 'linked',
  legalComments: 'none',
  logLevel: 'warning',
  define: { 'process.env.NODE_ENV': '"production"' },
  // The engine reads import.meta.url only where it also handles the CommonJS bundle (elevate.ts,
  // templates.ts); main sets EMT_ASSETS_DIR for the templates. The warning says nothing new.
  logOverride: { 'empty-import-meta': 'silent' },
};

export async function bundleMain(outdir = 'dist/main'): Promise<void> {
  await Promise.all([
    // drivelist has a native part on Windows and macOS: it stays a package that electron-builder rebuilds.
    build({ ...common, entryPoints: { main: 'main/main.ts' }, outdir, outExtension: { '.js': '.cjs' }, external: ['electron', 'drivelist'] }),
    build({ ...common, entryPoints: { preload: 'main/preload.ts' }, outdir, outExtension: { '.js': '.cjs' }, external: ['electron'], minify: true }),
    bundleWriter(join(outdir, 'writer.cjs')),
  ]);
}

if (process.argv[1]?.endsWith('bundle.ts')) {
  bundleMain().catch((e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  });
}
