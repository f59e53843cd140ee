import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../fs-util.js';

/** Where an origin started without OPERATOR_API_KEYS keeps the key it made. */
export const generatedKeyPath = (dataDir: string) => join(dataDir, 'keys', 'operator-api-key');

/**
 * The development key: read from DATA_DIR/keys/operator-api-key, or made (32 random bytes,
 * hex, mode 0600) on first start, so that a restart keeps the same key. Hex, not base64url: one
 * base64url key in 64 starts with `-`, which `coral-origin ingest --key KEY` takes for a flag.
 */
export async function loadOrCreateGeneratedKey(
  dataDir: string,
): Promise<{ key: string; path: string; created: boolean }> {
  const path = generatedKeyPath(dataDir);
  try {
    const key = (await readFile(path, 'utf8')).trim();
    if (key.length >= 16) return { key, path, created: false };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const key = randomBytes(32).toString('hex');
  await writeFileAtomic(path, `${key}\n`, { mode: 0o600 });
  return { key, path, created: true };
}
