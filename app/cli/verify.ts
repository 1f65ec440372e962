import { stickContext } from '../flash/context';
import { verifyTargets } from '../flash/write-targets';
import { fromFile } from '../formats/byte-source';
import type { Command } from './command';
import { imageAndTargets, printResult, withInterrupt } from './flash';

/** `emt-media verify X.iso --target /dev/sdX`: does the stick hold this image, byte for byte? Changes nothing. */
export const verifyCommand: Command = {
  name: 'verify',
  summary: 'Check that sticks hold an image, byte for byte (reads the sticks, changes nothing)',
  usage: 'verify <image> --target DEVICE [--target DEVICE]... [--json]',
  options: { target: { type: 'string', multiple: true }, json: { type: 'boolean' } },
  async run(args, io) {
    const { path, devices } = imageAndTargets(args, verifyCommand, io);
    // `path`: the writer reads the ISO itself, with the user's rights.
    const source = { ...(await fromFile(path)), path };
    const ctx = await stickContext(io.env);
    const result = await withInterrupt((signal) =>
      verifyTargets({ ...ctx, source, sourcePaths: [path], targets: devices, isInteractive: process.stdin.isTTY === true, env: io.env, onProgress: io.progress, signal }),
    );
    return printResult(result, 'verified', args, io);
  },
};
