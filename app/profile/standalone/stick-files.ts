import { open, readFile, stat } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import type { Finding } from '../../contract/build';
import type { StandaloneProfile } from '../../contract/profile';
import { Findings } from '../findings';

export interface StickFiles {
  findings: Finding[];
  /** From the .sha256sum beside the image: the writer compares it while copying. */
  expectedSha256: string | null;
  imageSize: number | null;
}

/**
 * The files a standalone profile names on this computer: the OS image with its .sha256sum
 * (partition 5) and the user-apps folder (partition 7). Only cheap checks here: the image is
 * hashed by the writer while it copies it, never read twice.
 */
export async function checkStickFiles(profile: StandaloneProfile, baseDir: string): Promise<StickFiles> {
  const f = new Findings();
  const out: StickFiles = { findings: f.list, expectedSha256: null, imageSize: null };
  const sa = profile.standalone;
  if (sa.osImage?.path) {
    const image = resolve(baseDir, sa.osImage.path);
    const field = 'standalone.osImage.path';
    const s = await stat(image).catch(() => null);
    if (!s?.isFile()) {
      f.error('E_OS_IMAGE_NOT_FOUND', field, `The OS image ${image} does not exist.`, 'Choose the image again, or correct the path (relative paths start at the profile file).');
    } else {
      out.imageSize = s.size;
      const head = Buffer.alloc(2);
      const fh = await open(image, 'r');
      await fh.read(head, 0, 2, 0).finally(() => fh.close());
      // RFC 1952 §2.3.1: every gzip member starts with 1f 8b.
      if (head[0] !== 0x1f || head[1] !== 0x8b) {
        f.error('E_OS_IMAGE_NOT_GZIP', field, `${basename(image)} is not gzip-compressed, though the installer runs gzip -dc on it.`, 'Choose the original edge-readonly-….raw.gz download, not an unpacked or renamed file.');
      }
      const sumText = await readFile(`${image}.sha256sum`, 'utf8').catch(() => null);
      if (sumText === null) {
        f.error('E_OS_IMAGE_CHECKSUM_MISSING', field, `${basename(image)}.sha256sum is missing beside the image.`, 'Download the .sha256sum published with the image into the same folder.');
      } else {
        const [hash, name] = sumText.trim().split(/\s+/);
        if (!hash || !/^[0-9a-f]{64}$/i.test(hash)) {
          f.error('E_OS_IMAGE_CHECKSUM_FORMAT', field, `${basename(image)}.sha256sum does not start with a SHA-256 hash.`, 'Download the .sha256sum file again; it holds "<hash>  <file name>".');
        } else {
          out.expectedSha256 = hash.toLowerCase();
          if (name && basename(name.replace(/^\*/, '')) !== basename(image)) {
            f.warn('W_OS_IMAGE_CHECKSUM_NAME', field, `${basename(image)}.sha256sum names ${name}, another file.`, 'Check that the checksum belongs to this image.');
          }
        }
      }
    }
  }
  if (sa.userAppsDir) {
    const dir = resolve(baseDir, sa.userAppsDir);
    const s = await stat(dir).catch(() => null);
    if (!s?.isDirectory()) f.error('E_USER_APPS_NOT_FOUND', 'standalone.userAppsDir', `The user-apps folder ${dir} does not exist.`, 'Choose the folder again, or leave it empty.');
  }
  return out;
}
