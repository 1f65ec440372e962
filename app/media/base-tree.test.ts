import { describe, expect, it } from 'vitest';
import { missingParents, resolveInBase, type BaseTree } from './base-tree';

const base: BaseTree = {
  dirs: new Set(['/', '/usr', '/usr/lib', '/usr/lib/systemd', '/etc', '/etc/systemd', '/var', '/run']),
  symlinks: new Map([
    ['/lib', 'usr/lib'],
    ['/var/run', '../run'],
    ['/etc/alt', '/usr/lib'],
    ['/loop', 'loop'],
  ]),
  files: new Set(['/etc/hostname']),
};

describe('resolveInBase', () => {
  it('follows relative and absolute symlinks in parent components', () => {
    expect(resolveInBase(base, '/lib/systemd/system/a.service')).toBe('/usr/lib/systemd/system/a.service');
    expect(resolveInBase(base, '/var/run/x.pid')).toBe('/run/x.pid');
    expect(resolveInBase(base, '/etc/alt/foo')).toBe('/usr/lib/foo');
  });

  it('follows the last component only for directories (a file of ours replaces a link)', () => {
    expect(resolveInBase(base, '/lib')).toBe('/lib');
    expect(resolveInBase(base, '/lib', true)).toBe('/usr/lib');
  });

  it('refuses a path below a file and a symlink loop', () => {
    expect(() => resolveInBase(base, '/etc/hostname/x')).toThrow(expect.objectContaining({ code: 'E_OVERLAY_SHADOWS_FILE' }));
    expect(() => resolveInBase(base, '/loop/x')).toThrow(expect.objectContaining({ code: 'E_OVERLAY_SYMLINK_LOOP' }));
  });
});

describe('missingParents', () => {
  it('lists only directories the base lacks, parents first', () => {
    expect(missingParents(base, '/usr/lib/systemd/system/a.service', new Set())).toEqual(['/usr/lib/systemd/system']);
    expect(missingParents(base, '/etc/emf/x/env', new Set(['/etc/emf']))).toEqual(['/etc/emf/x']);
  });
});

describe('planOverlay over a base with /lib -> usr/lib', () => {
  it('never emits a directory entry that would replace a base symlink', async () => {
    const { Overlay } = await import('./overlay');
    const { planOverlay } = await import('./overlay-plan');
    const overlay = new Overlay().addDir('/lib', 0o700).addFile('/lib/emt/x', 'x').addFile('/etc/systemd/system/a.service', 'u');
    const planned = planOverlay(overlay, base);
    expect(planned.map((e) => `${e.type} ${e.path}`)).toEqual(['dir /etc/systemd/system', 'file /etc/systemd/system/a.service', 'dir /usr/lib/emt', 'file /usr/lib/emt/x']);
  });
});
