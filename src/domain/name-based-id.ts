// Name-based UUIDs (RFC 9562 version 5: SHA-1 of a namespace and a name): the same name always
// gives the same id, so an id derived from a fact is the same on every replay and in every process.

import { createHash } from 'node:crypto';

/** The version-5 UUID of `name` in `namespace` (16 bytes, hex). */
export function nameBasedUuid(namespaceHex: string, name: string): string {
  const b = createHash('sha1').update(Buffer.from(namespaceHex, 'hex')).update(name, 'utf8').digest().subarray(0, 16);
  b[6] = (b[6]! & 0x0f) | 0x50;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const hex = b.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
