import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VIEWER_TOKEN_AUDIENCE, VIEWER_TOKEN_ISSUER } from '@coral-cdn/protocol';
import { joinMessage, makeKeys, startTracker, TestClient, type RunningTracker } from './support.js';

/** The default key source: the origin's JWKS (EdDSA keys with a kid), as the origin serves it. */
describe('viewer tokens checked against a JWKS URL', () => {
  let jwksServer: Server;
  let jwksUrl: string;
  let tracker: RunningTracker;
  let offline: RunningTracker;
  let fetches = 0;
  const key = generateKeyPair('EdDSA', { crv: 'Ed25519' });

  const sign = async (kid: string, privateKey: CryptoKey) =>
    new SignJWT({ stream: 'jwks' })
      .setProtectedHeader({ alg: 'EdDSA', kid })
      .setSubject('viewer-j')
      .setIssuer(VIEWER_TOKEN_ISSUER)
      .setAudience(VIEWER_TOKEN_AUDIENCE)
      .setExpirationTime('10m')
      .sign(privateKey);

  beforeAll(async () => {
    const jwk = await exportJWK((await key).publicKey);
    jwksServer = createServer((request, response) => {
      fetches++;
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify({ keys: [{ ...jwk, kid: 'origin-1', alg: 'EdDSA', use: 'sig' }] }),
      );
    });
    await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
    jwksUrl = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/.well-known/jwks.json`;
    // The helper sets TOKEN_PUBLIC_KEY; an empty value counts as unset, so the JWKS URL is used.
    const unused = await makeKeys();
    tracker = await startTracker(unused, { TOKEN_PUBLIC_KEY: '', TOKEN_JWKS_URL: jwksUrl });
    offline = await startTracker(unused, {
      TOKEN_PUBLIC_KEY: '',
      TOKEN_JWKS_URL: 'http://127.0.0.1:9/jwks.json',
    });
  });

  afterAll(async () => {
    await tracker.close();
    await offline.close();
    await new Promise((resolve) => jwksServer.close(resolve));
  });

  it('accepts a token signed by a key in the set', async () => {
    const client = await TestClient.connect(tracker.wsUrl);
    client.send(
      joinMessage({ swarmId: 'jwks/720p', token: await sign('origin-1', (await key).privateKey) }),
    );
    expect(await client.next('joined')).toMatchObject({ swarmId: 'jwks/720p' });
    expect(fetches).toBeGreaterThanOrEqual(1);
    client.close();
  });

  it('refuses a token whose key is not in the set', async () => {
    const other = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    const client = await TestClient.connect(tracker.wsUrl);
    client.send(
      joinMessage({ swarmId: 'jwks/720p', token: await sign('origin-1', other.privateKey) }),
    );
    expect(await client.next('error')).toMatchObject({ code: 'unauthorized' });
    client.close();
  });

  it('answers internal (retry later) while the key set cannot be fetched', async () => {
    const client = await TestClient.connect(offline.wsUrl);
    client.send(
      joinMessage({ swarmId: 'jwks/720p', token: await sign('origin-1', (await key).privateKey) }),
    );
    const error = await client.next('error');
    expect(error.code).toBe('internal');
    expect(error.fatal).toBeUndefined();
    client.close();
  });
});
