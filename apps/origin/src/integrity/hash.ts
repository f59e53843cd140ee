import { createHash, webcrypto } from 'node:crypto';
import { open } from 'node:fs/promises';
import type { SubtleCryptoLike } from '@coral-cdn/protocol';

/** Node's WebCrypto, as the protocol package's sign/verify functions take it. */
export const subtle = webcrypto.subtle as unknown as SubtleCryptoLike;

export interface FileDigest {
  readonly sha256: string;
  readonly sizeBytes: number;
}

/** SHA-256 (lowercase hex) and size of a file, read through one open descriptor. */
export async function hashFile(path: string): Promise<FileDigest> {
  const handle = await open(path, 'r');
  try {
    const hash = createHash('sha256');
    let sizeBytes = 0;
    for await (const chunk of handle.createReadStream({ autoClose: false })) {
      const bytes = chunk as Buffer;
      hash.update(bytes);
      sizeBytes += bytes.byteLength;
    }
    return { sha256: hash.digest('hex'), sizeBytes };
  } finally {
    await handle.close();
  }
}
