/** Decode an ASCII/Latin-1 body (playlists and manifests) without TextDecoder, in chunks so
 * that a large body cannot overflow the call stack. */
export function bytesToText(bytes: Uint8Array): string {
  let text = '';
  const step = 8192;
  for (let i = 0; i < bytes.length; i += step)
    text += String.fromCharCode(...bytes.subarray(i, i + step));
  return text;
}
