import { describe, expect, it } from 'vitest';
import { mergeCmdline, releaseDefaults, splitCmdline, CONSOLE_ARGS } from './kernel-cmdline';

describe('kernel command line', () => {
  it('splits on spaces but keeps quoted values together', () => {
    expect(splitCmdline('  a=1 b="x y"  c ')).toEqual(['a=1', 'b="x y"', 'c']);
  });

  it('refuses line breaks and unclosed quotes', () => {
    expect(() => splitCmdline('a=1\nb=2')).toThrow(expect.objectContaining({ code: 'E_CMDLINE_CHARS' }));
    expect(() => splitCmdline('a="1')).toThrow(expect.objectContaining({ code: 'E_CMDLINE_QUOTE' }));
  });

  it('lets later lists override earlier keys but keeps repeatable ones', () => {
    const line = mergeCmdline(releaseDefaults('bootkit'), CONSOLE_ARGS, ['rootflags=size=1G,mode=0755', 'console=ttyS1,115200', 'quiet']);
    expect(line).toBe('root=tmpfs rd.skipfsck noresume modules-load=nbd console=tty0 console=ttyS0,115200 rootflags=size=1G,mode=0755 console=ttyS1,115200 quiet');
  });

  it('refuses a command line the kernel would cut', () => {
    expect(() => mergeCmdline([`no_proxy=${'a'.repeat(3000)}`])).toThrow(expect.objectContaining({ code: 'E_CMDLINE_TOO_LONG' }));
  });
});
