/**
 * `node --import tsx app/release/testing/serve-pattern.ts <bytes>`: a FaultServer in a process of
 * its own serving `/file` (a 1 MiB random pattern repeated to <bytes>), so that a benchmark's
 * client does not share its event loop with the server. Prints the file's URL, then serves until
 * stdin closes.
 */
import { randomBytes } from 'node:crypto';
import { FaultServer } from './fault-server';

const size = Number(process.argv[2]);
const server = await FaultServer.start();
server.serve('/file', { body: { pattern: randomBytes(1 << 20), size } });
process.stdout.write(`${server.url('/file')}\n`);
process.stdin.resume();
process.stdin.on('end', () => void server.close().then(() => process.exit(0)));
