import { describe, expect, it } from 'vitest';
import { launchPlan, quoteWindowsArg, WRITER_ENTRY_FLAG, writerCommand } from './elevate';

const writer = { command: '/opt/EMT Media Builder/resources/emt-media-writer', args: [] };
const base = { isRoot: false, isInteractive: false, hasPkexec: true };

describe('writer launch', () => {
  it('starts the writer directly when already root, on every platform', () => {
    for (const platform of ['linux', 'darwin', 'win32'] as const) {
      expect(launchPlan(writer, { ...base, platform, isRoot: true })).toEqual({ ...writer, via: 'direct' });
    }
  });

  it('uses pkexec on Linux with an argument vector, and no terminal prompt from the GUI', () => {
    expect(launchPlan(writer, { ...base, platform: 'linux' })).toEqual({ command: 'pkexec', args: ['--disable-internal-agent', writer.command], via: 'pkexec' });
    expect(launchPlan({ command: '/usr/bin/node', args: ['/x/writer.cjs'] }, { ...base, platform: 'linux', isInteractive: true }).args).toEqual(['/usr/bin/node', '/x/writer.cjs']);
    expect(() => launchPlan(writer, { ...base, platform: 'linux', hasPkexec: false })).toThrow(expect.objectContaining({ code: 'E_NO_ELEVATION' }));
  });

  it('asks for the password in a dialog on macOS (sudo with an askpass helper)', () => {
    const plan = launchPlan(writer, { ...base, platform: 'darwin', askpass: '/tmp/x/askpass' });
    expect(plan).toMatchObject({ command: 'sudo', args: ['--askpass', '--', writer.command], via: 'sudo' });
    expect(plan.env?.SUDO_ASKPASS).toBe('/tmp/x/askpass');
  });

  it('goes through UAC on Windows, connecting back over a named pipe', () => {
    const plan = launchPlan({ command: 'C:\\Program Files\\EMT\\emt-media-writer.exe', args: ["it's"] }, { ...base, platform: 'win32', ipcPath: '\\\\.\\pipe\\emt-1-ipc' });
    expect(plan.via).toBe('uac');
    expect(plan.ipc).toBe(true);
    const script = plan.args.at(-1)!;
    expect(script).toContain("-FilePath 'C:\\Program Files\\EMT\\emt-media-writer.exe'");
    expect(script).toContain("-ArgumentList 'it''s --ipc \\\\.\\pipe\\emt-1-ipc'");
    expect(script).toContain('-Verb RunAs');
  });

  it('quotes Windows arguments by the CommandLineToArgvW rules', () => {
    expect(quoteWindowsArg('plain')).toBe('plain');
    expect(quoteWindowsArg('two words')).toBe('"two words"');
    expect(quoteWindowsArg('say "hi"')).toBe('"say \\"hi\\""');
    expect(quoteWindowsArg('C:\\dir with space\\')).toBe('"C:\\dir with space\\\\"');
    expect(quoteWindowsArg('')).toBe('""');
  });

  it('runs the TypeScript writer through tsx in a checkout, and EMT_WRITER overrides it', () => {
    const dev = writerCommand({});
    expect(dev.command).toBe(process.execPath);
    expect(dev.args[0]).toBe('--import');
    expect(dev.args[2]).toMatch(/app\/writer\/main\.ts$/);
    expect(writerCommand({ EMT_WRITER: '/opt/x/writer.cjs' })).toEqual({ command: process.execPath, args: ['/opt/x/writer.cjs'] });
    expect(writerCommand({ EMT_WRITER: '/opt/x/emt-media-writer' })).toEqual({ command: '/opt/x/emt-media-writer', args: [] });
  });

  it('runs the AppImage file itself as the writer through pkexec: root mounts it, no policy names it', () => {
    const appImage = '/home/tech/Apps/EMT Media Builder-1.0.0.AppImage';
    const writer = writerCommand({ EMT_WRITER_APPIMAGE: appImage, EMT_WRITER: '/tmp/.mount_EMTx1/resources/writer/emt-media-writer' });
    expect(writer).toEqual({ command: appImage, args: ['--no-sandbox', WRITER_ENTRY_FLAG] });
    // The whole path is one argument (no shell), and pkexec falls back to its generic
    // "run a program as root" authorization, which asks for an administrator password.
    expect(launchPlan(writer, { ...base, platform: 'linux' })).toEqual({ command: 'pkexec', args: ['--disable-internal-agent', appImage, '--no-sandbox', '--emt-writer'], via: 'pkexec' });
    expect(launchPlan(writer, { ...base, platform: 'linux', isRoot: true })).toEqual({ command: appImage, args: ['--no-sandbox', '--emt-writer'], via: 'direct' });
  });
});
