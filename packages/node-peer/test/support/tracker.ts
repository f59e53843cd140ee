import { webcrypto } from 'node:crypto';
import { VIEWER_TOKEN_AUDIENCE, VIEWER_TOKEN_ISSUER, toBase64Url } from '@coral-cdn/protocol';
import { spawnService, type RunningService } from '@coral-cdn/test-support';
import { SignJWT } from 'jose';

export interface TestTracker {
  service: RunningService;
  wsUrl: string;
  /** A viewer token for `stream`, as the origin would issue it (sub = viewer id). */
  token(stream: string, viewerId: string): Promise<string>;
  stats(): Promise<TrackerStats>;
  stop(): Promise<void>;
}

export interface TrackerStats {
  peers: number;
  swarms: number;
  perSwarm: Array<{ swarmId: string; peers: number }>;
}

/** The real tracker app (apps/tracker/dist), with a token key made for the test. */
export async function startTracker(env: Record<string, string> = {}): Promise<TestTracker> {
  const { privateKey, publicKey } = (await webcrypto.subtle.generateKey({ name: 'Ed25519' }, true, [
    'sign',
    'verify',
  ])) as webcrypto.CryptoKeyPair;
  const raw = new Uint8Array(await webcrypto.subtle.exportKey('raw', publicKey));
  const service = await spawnService({
    app: 'tracker',
    env: {
      TOKEN_PUBLIC_KEY: toBase64Url(raw),
      LIVE_FETCHER_MIN_AGE_MS: '0',
      ...env,
    },
  });
  return {
    service,
    wsUrl: `ws://127.0.0.1:${service.port}/ws`,
    token: async (stream, viewerId) => {
      const nowSec = Math.floor(Date.now() / 1000);
      return new SignJWT({ stream })
        .setProtectedHeader({ alg: 'EdDSA' })
        .setSubject(viewerId)
        .setIssuer(VIEWER_TOKEN_ISSUER)
        .setAudience(VIEWER_TOKEN_AUDIENCE)
        .setIssuedAt(nowSec - 5)
        .setExpirationTime(nowSec + 600)
        .sign(privateKey);
    },
    stats: async () => (await (await fetch(`${service.url}/stats`)).json()) as TrackerStats,
    stop: async () => {
      await service.stop();
    },
  };
}
