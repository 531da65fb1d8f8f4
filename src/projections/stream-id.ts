/** The id part of a stream name like `user-<uuid>`. */
export function streamId(stream: string, prefix: string): string {
  if (!stream.startsWith(`${prefix}-`)) throw new Error(`stream '${stream}' is not a ${prefix} stream`);
  return stream.slice(prefix.length + 1);
}
