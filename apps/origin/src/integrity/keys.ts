import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  webcrypto,
  type KeyObject,
} from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError } from '@coral-cdn/server-kit';
import { calculateJwkThumbprint, type JWK } from 'jose';
import { writeFileAtomic } from '../fs-util.js';

/**
 * The origin's two Ed25519 keys, each a PKCS#8 PEM file: the integrity key signs segment
 * hashes (its raw public key is the playback API's `publicKey`), the token key signs viewer
 * tokens (published as a JWKS). Generated into DATA_DIR/keys on first run unless
 * INTEGRITY_KEY_FILE / TOKEN_KEY_FILE name existing files.
 */
export interface IntegrityKey {
  /** WebCrypto key, as the protocol package's signing functions take it. */
  readonly privateKey: webcrypto.CryptoKey;
  /** Raw 32-byte public key, base64url. */
  readonly publicKeyBase64Url: string;
}

export interface TokenKey {
  readonly privateKey: KeyObject;
  readonly kid: string;
  /** Public JWK with kid, alg and use, as served in the JWKS. */
  readonly publicJwk: JWK;
}

async function loadOrCreatePem(
  file: string | undefined,
  variable: string,
  generatedPath: string,
): Promise<KeyObject> {
  let pem: string;
  if (file !== undefined) {
    try {
      pem = await readFile(file, 'utf8');
    } catch (error) {
      throw new ConfigError(variable, `cannot read ${file}: ${(error as Error).message}`);
    }
  } else {
    try {
      pem = await readFile(generatedPath, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      const { privateKey } = generateKeyPairSync('ed25519');
      pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
      await writeFileAtomic(generatedPath, pem, { mode: 0o600 });
    }
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch (error) {
    throw new ConfigError(variable, `not a PEM private key: ${(error as Error).message}`);
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new ConfigError(variable, `expected an Ed25519 key, got ${key.asymmetricKeyType}`);
  }
  return key;
}

export async function loadKeys(options: {
  dataDir: string;
  integrityKeyFile?: string | undefined;
  tokenKeyFile?: string | undefined;
}): Promise<{ integrity: IntegrityKey; token: TokenKey }> {
  const keysDir = join(options.dataDir, 'keys');
  await mkdir(keysDir, { recursive: true, mode: 0o700 });
  const integrityPrivate = await loadOrCreatePem(
    options.integrityKeyFile,
    'INTEGRITY_KEY_FILE',
    join(keysDir, 'integrity.pem'),
  );
  const tokenPrivate = await loadOrCreatePem(
    options.tokenKeyFile,
    'TOKEN_KEY_FILE',
    join(keysDir, 'token.pem'),
  );
  const integrityJwk = createPublicKey(integrityPrivate).export({ format: 'jwk' });
  const integrityWebKey = await webcrypto.subtle.importKey(
    'pkcs8',
    integrityPrivate.export({ type: 'pkcs8', format: 'der' }),
    { name: 'Ed25519' },
    false,
    ['sign'],
  );
  const tokenJwk = createPublicKey(tokenPrivate).export({ format: 'jwk' }) as JWK;
  const kid = await calculateJwkThumbprint(tokenJwk);
  return {
    integrity: { privateKey: integrityWebKey, publicKeyBase64Url: String(integrityJwk.x) },
    token: {
      privateKey: tokenPrivate,
      kid,
      publicJwk: { ...tokenJwk, kid, alg: 'EdDSA', use: 'sig' },
    },
  };
}
