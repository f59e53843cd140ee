import { createHmac } from 'node:crypto';
import { ConfigError, parseConfig } from '@coral-cdn/server-kit';
import { describe, expect, it } from 'vitest';
import { originConfigSchema } from '../src/config.js';
import { playbackIce, turnCredentials, type IceSettings } from '../src/ice-servers.js';

const secret = 'a-shared-secret-of-some-length';
const settings: IceSettings = {
  stunUrls: ['stun:turn.example:3478'],
  turnUrls: ['turn:turn.example:3478?transport=udp', 'turn:turn.example:3478?transport=tcp'],
  turnSecret: secret,
  turnCredentialTtlSec: 600,
  turnForPeers: true,
};
const nowMs = 1_700_000_000_000;

function configError(env: Record<string, string>): ConfigError {
  try {
    parseConfig(originConfigSchema, { env });
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('playback ICE servers', () => {
  it('gives TURN REST credentials: <expiry>:<viewer> and base64 HMAC-SHA1 of it', () => {
    const { username, credential } = turnCredentials(secret, 'v1', 600, nowMs);
    expect(username).toBe('1700000600:v1');
    // What coturn computes with use-auth-secret.
    expect(credential).toBe(createHmac('sha1', secret).update('1700000600:v1').digest('base64'));
  });

  it('hands out STUN and short-lived TURN credentials when relaying peers is allowed', () => {
    const ice = playbackIce(settings, nowMs, 'viewer-a');
    expect(ice.relayAllowed).toBe(true);
    expect(ice.iceServers).toEqual([
      { urls: ['stun:turn.example:3478'] },
      { urls: settings.turnUrls, ...turnCredentials(secret, 'viewer-a', 600, nowMs) },
    ]);
  });

  it('gives each viewer its own TURN username', () => {
    const a = playbackIce(settings, nowMs).iceServers[1]!.username;
    const b = playbackIce(settings, nowMs).iceServers[1]!.username;
    expect(a).not.toBe(b);
  });

  it('hands out no TURN at all while the operator keeps it off for peers (the default)', () => {
    const ice = playbackIce({ ...settings, turnForPeers: false }, nowMs);
    expect(ice).toEqual({
      iceServers: [{ urls: ['stun:turn.example:3478'] }],
      relayAllowed: false,
    });
    expect(playbackIce({ ...settings, stunUrls: [], turnForPeers: false }, nowMs)).toEqual({
      iceServers: [],
      relayAllowed: false,
    });
  });
});

describe('ICE config', () => {
  it('defaults to no ICE servers and TURN off for peers', () => {
    const c = parseConfig(originConfigSchema, { env: {} });
    expect(c.ICE_STUN_URLS).toEqual([]);
    expect(c.ICE_TURN_URLS).toEqual([]);
    expect(c.TURN_FOR_PEERS).toBe(false);
    expect(c.TURN_CREDENTIAL_TTL_SEC).toBe(3600);
  });

  it('parses URL lists and the switch', () => {
    const c = parseConfig(originConfigSchema, {
      env: {
        ICE_STUN_URLS: 'stun:a:3478, stun:b:3478',
        ICE_TURN_URLS: 'turn:a:3478?transport=udp,turns:a:5349',
        TURN_SECRET: secret,
        TURN_FOR_PEERS: 'true',
      },
    });
    expect(c.ICE_STUN_URLS).toEqual(['stun:a:3478', 'stun:b:3478']);
    expect(c.ICE_TURN_URLS).toEqual(['turn:a:3478?transport=udp', 'turns:a:5349']);
    expect(c.TURN_FOR_PEERS).toBe(true);
  });

  it('names the variable of each bad value', () => {
    expect(configError({ ICE_STUN_URLS: 'turn:a:3478' }).variable).toBe('ICE_STUN_URLS');
    expect(configError({ ICE_TURN_URLS: 'http://a' }).variable).toBe('ICE_TURN_URLS');
    expect(configError({ ICE_TURN_URLS: 'turn:a:3478' }).variable).toBe('TURN_SECRET');
    expect(configError({ TURN_SECRET: 'short' }).variable).toBe('TURN_SECRET');
    expect(configError({ TURN_FOR_PEERS: 'yes' }).variable).toBe('TURN_FOR_PEERS');
    expect(configError({ TURN_CREDENTIAL_TTL_SEC: '5' }).variable).toBe('TURN_CREDENTIAL_TTL_SEC');
  });
});
