import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRandomAccess, type RandomAccess } from '../formats/byte-source';
import { readPeSignature } from './pe-signature';

// Real EFI binaries from Debian packages (scripts/install-system-deps.sh installs them).
const SIGNED_SHIM = '/usr/lib/shim/shimx64.efi.signed';
const SIGNED_GRUB = '/usr/lib/grub/x86_64-efi-signed/gcdx64.efi.signed';
const UNSIGNED_GRUB = '/usr/lib/grub/x86_64-efi/monolithic/gcdx64.efi';

/** Random access to bytes in memory, with the same exact-read contract as a file. */
function bufferAccess(buf: Buffer): RandomAccess {
  return {
    size: buf.length,
    read: async (offset, length) => {
      if (offset + length > buf.length) throw new Error('short read');
      return buf.subarray(offset, offset + length);
    },
    close: async () => {},
  };
}

async function peOf(path: string) {
  const ra = await openRandomAccess(path);
  try {
    return await readPeSignature(ra, path);
  } finally {
    await ra.close();
  }
}

/** A minimal PE32+ header (PE/COFF §3): MZ, e_lfanew=0x40, COFF header, optional header with 16 data directories. */
function minimalPe(certTable?: { offset: number; size: number }, total = 0x400): Buffer {
  const b = Buffer.alloc(total);
  b.write('MZ', 0, 'latin1');
  b.writeUInt32LE(0x40, 0x3c);
  b.writeUInt32LE(0x00004550, 0x40);
  b.writeUInt16LE(0x8664, 0x44);
  b.writeUInt16LE(240, 0x40 + 20);
  const opt = 0x40 + 24;
  b.writeUInt16LE(0x20b, opt);
  b.writeUInt32LE(16, opt + 108);
  if (certTable) {
    b.writeUInt32LE(certTable.offset, opt + 112 + 4 * 8);
    b.writeUInt32LE(certTable.size, opt + 112 + 4 * 8 + 4);
  }
  return b;
}

describe('readPeSignature on real Debian EFI binaries', () => {
  it('finds both Microsoft signatures on the signed shim', async () => {
    const pe = await peOf(SIGNED_SHIM);
    expect(pe).toMatchObject({ machine: 0x8664, isPe32Plus: true, isSigned: true });
    expect(pe.signers.map((s) => s.issuer)).toContain('Microsoft Corporation UEFI CA 2011');
  });

  it('names Debian as the signer of the signed GRUB', async () => {
    const pe = await peOf(SIGNED_GRUB);
    expect(pe.isSigned).toBe(true);
    expect(pe.signers).toEqual([{ subject: expect.stringContaining('Debian Secure Boot Signer'), issuer: 'Debian Secure Boot CA' }]);
  });

  it('reports the unsigned GRUB for CDs as unsigned', async () => {
    expect(await peOf(UNSIGNED_GRUB)).toMatchObject({ machine: 0x8664, isSigned: false, signers: [] });
  });

  describe('with the signature directory of the signed GRUB cleared', () => {
    let dir: string;
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'emt-pe-'));
    });
    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('is unsigned', async () => {
      const b = await readFile(SIGNED_GRUB);
      const opt = b.readUInt32LE(0x3c) + 24;
      b.fill(0, opt + 112 + 32, opt + 112 + 40);
      const path = join(dir, 'grub-stripped.efi');
      await writeFile(path, b);
      expect(await peOf(path)).toMatchObject({ isSigned: false, signers: [] });
    });
  });
});

describe('readPeSignature on hand-made headers', () => {
  it('reads a PE32+ without a certificate table as unsigned', async () => {
    expect(await readPeSignature(bufferAccess(minimalPe()), 'x.efi')).toEqual({ machine: 0x8664, isPe32Plus: true, isSigned: false, signers: [] });
  });

  it('does not count a certificate entry of another type (X.509, type 1) as Authenticode', async () => {
    const b = minimalPe({ offset: 0x300, size: 16 });
    b.writeUInt32LE(16, 0x300);
    b.writeUInt16LE(0x0200, 0x304);
    b.writeUInt16LE(0x0001, 0x306);
    expect((await readPeSignature(bufferAccess(b), 'x.efi')).isSigned).toBe(false);
  });

  it('counts a PKCS#7 entry as a signature even when its signer cannot be read', async () => {
    const b = minimalPe({ offset: 0x300, size: 16 });
    b.writeUInt32LE(16, 0x300);
    b.writeUInt16LE(0x0200, 0x304);
    b.writeUInt16LE(0x0002, 0x306);
    expect(await readPeSignature(bufferAccess(b), 'x.efi')).toMatchObject({ isSigned: true, signers: [] });
  });

  it('refuses a file that is not PE', async () => {
    await expect(readPeSignature(bufferAccess(Buffer.from('#!/bin/sh\necho hello\n'.padEnd(200, ' '))), 'run.sh')).rejects.toMatchObject({
      code: 'E_PE_INVALID',
      message: expect.stringContaining('"MZ"'),
    });
  });

  it('refuses a certificate table that points past the end of the file', async () => {
    await expect(readPeSignature(bufferAccess(minimalPe({ offset: 0x300, size: 0x1000 })), 'cut.efi')).rejects.toMatchObject({
      code: 'E_PE_INVALID',
      message: expect.stringContaining('outside'),
    });
  });
});
