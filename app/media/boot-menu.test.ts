import { describe, expect, it } from 'vitest';
import { grubConfig, isolinuxConfig } from './boot-menu';

const spec = {
  title: 'EMT Bootkit (EMT-Tink) — EMF',
  kernelPath: '/boot/vmlinuz',
  initrdPaths: ['/boot/initrd', '/boot/custom.img'],
  cmdline: 'root=tmpfs console=ttyS0,115200 http_proxy=http://p:3128 x="a;b"',
  timeoutSeconds: 5,
};

describe('boot menus', () => {
  it('GRUB loads both initrds, talks on serial and quotes words its parser would act on', () => {
    const cfg = grubConfig(spec);
    expect(cfg).toContain('terminal_output console serial');
    expect(cfg).toContain('initrd /boot/initrd /boot/custom.img');
    expect(cfg).toContain(`linux /boot/vmlinuz root=tmpfs console=ttyS0,115200 http_proxy=http://p:3128 'x="a;b"'`);
    expect(cfg).toContain('menuentry "EMT Bootkit (EMT-Tink) - EMF"');
  });

  it('ISOLINUX gets a comma-separated INITRD and a timeout in tenths', () => {
    const cfg = isolinuxConfig(spec);
    expect(cfg).toContain('INITRD /boot/initrd,/boot/custom.img');
    expect(cfg).toContain('TIMEOUT 50');
    expect(cfg).toContain('SERIAL 0 115200');
    expect(cfg).toContain(`APPEND ${spec.cmdline}`);
  });
});
