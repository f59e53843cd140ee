import { ConfigError } from '@coral-cdn/server-kit';
import { describe, expect, it } from 'vitest';
import { edgeConfig, parseByteSize } from '../../src/config.js';

describe('edge config', () => {
  it('has the documented defaults', () => {
    const config = edgeConfig();
    expect(config.CACHE_DISK_DIR).toBeUndefined();
    expect(config).toMatchObject({
      PORT: 8081,
      HOST: '127.0.0.1',
      ORIGIN_URL: 'http://127.0.0.1:8080',
      EDGE_REGION: 'local',
      CACHE_MEMORY_BYTES: 256 * 1024 * 1024,
      STALE_WHILE_REVALIDATE_SEC: 1,
      STALE_IF_ERROR_SEC: 300,
      ORIGIN_RETRIES: 2,
    });
  });

  it('turns the fast lane on by default, off with EDGE_FAST_LANE=false', () => {
    expect(edgeConfig().EDGE_FAST_LANE).toBe(true);
    expect(edgeConfig({ EDGE_FAST_LANE: 'false' }).EDGE_FAST_LANE).toBe(false);
    expect(edgeConfig({ EDGE_FAST_LANE: '0' }).EDGE_FAST_LANE).toBe(false);
    expect(edgeConfig({ EDGE_FAST_LANE: 'true' }).EDGE_FAST_LANE).toBe(true);
    expect(() => edgeConfig({ EDGE_FAST_LANE: 'maybe' })).toThrow(ConfigError);
  });

  it('reads sizes with units', () => {
    expect(parseByteSize('256MiB')).toBe(256 * 1024 * 1024);
    expect(parseByteSize('1.5g')).toBe(1.5 * 1024 ** 3);
    expect(parseByteSize('500MB')).toBe(500_000_000);
    expect(parseByteSize('12')).toBe(12);
    expect(parseByteSize('12 parsecs')).toBeUndefined();
    expect(edgeConfig({ CACHE_MEMORY_BYTES: '64m' }).CACHE_MEMORY_BYTES).toBe(64 * 1024 * 1024);
  });

  it('names the bad variable', () => {
    const bad: Array<[Parameters<typeof edgeConfig>[0], string]> = [
      [{ ORIGIN_URL: 'ftp://x' }, 'ORIGIN_URL'],
      [{ EDGE_REGION: 'EU West' }, 'EDGE_REGION'],
      [{ CACHE_MEMORY_BYTES: 'lots' }, 'CACHE_MEMORY_BYTES'],
      [{ CACHE_MEMORY_BYTES: '2MiB', MAX_OBJECT_BYTES: '3MiB' }, 'MAX_OBJECT_BYTES'],
      [{ ORIGIN_RETRIES: '-1' }, 'ORIGIN_RETRIES'],
      [{ PORT: '70000' }, 'PORT'],
    ];
    for (const [overrides, variable] of bad) {
      try {
        edgeConfig(overrides);
        expect.unreachable(`${variable} accepted`);
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        expect((error as ConfigError).variable).toBe(variable);
      }
    }
  });
});
