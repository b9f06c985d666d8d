/**
 * Prints the stored form of a channel secret, for SWITCH_CHANNELS or SWITCH_CHANNELS_FILE:
 * `npm run hash-secret -- <secret>`, or the secret on stdin (kept out of shell history and `ps`).
 */
import { text } from 'node:stream/consumers';
import { hashSecret } from '../src/api/credentials';

if (process.stdin.isTTY && !process.argv[2]) console.error('Secret, then Enter and Ctrl-D:');
// One trailing line break is the terminal's or echo's, not the secret's.
const secret = process.argv[2] ?? (await text(process.stdin)).replace(/\r?\n$/, '');
if (!secret) {
  console.error('usage: hash-secret <secret>   or   echo -n <secret> | hash-secret');
  process.exit(2);
}
console.log(hashSecret(secret));
