import { describe, expect, it } from 'vitest';
import { stackServices } from '../../scripts/topology.mjs';
import { appOf, resolvedCompose } from './support/compose.js';
import { APP_NAMES, appConfigSchema, composeFile } from './support/paths.js';

/**
 * `npm start`'s topology (scripts/topology.mjs, what scripts/start.mjs runs), checked without
 * starting it: each service's env is one its app's config schema accepts, and the services find
 * each other as docker-compose's do. With REDIS_URL it runs two tracker nodes, which the player's
 * analytics page must both read, or viewers routed to tracker-b are missing from the dashboard.
 */

const coturn = {
  command: 'turnserver',
  secret: 'test-secret-0123456789abcdef',
  turnForPeers: false,
};
const single = stackServices({ dataDir: '/tmp/coral-topology', coturn });
const twoNodes = stackServices({
  dataDir: '/tmp/coral-topology',
  redisUrl: 'redis://127.0.0.1:6379',
  coturn,
});

const byName = (services: typeof single, name: string) => {
  const service = services.find((s) => s.name === name);
  expect(service, name).toBeDefined();
  return service!;
};
const trackerBases = (services: typeof single) =>
  services.filter((s) => s.app === 'tracker').map((s) => `http://127.0.0.1:${s.port}`);

describe('npm start topology', () => {
  it.each(APP_NAMES)(
    'gives %s only env vars its config schema knows, and they parse',
    async (app) => {
      const schema = await appConfigSchema(app);
      for (const services of [single, twoNodes]) {
        for (const service of services.filter((s) => s.app === app)) {
          const env = service.env ?? {};
          for (const key of Object.keys(env))
            expect(Object.keys(schema.shape), `${service.name}: ${key}`).toContain(key);
          const parsed = schema.safeParse(env);
          expect(parsed.success, `${service.name}: ${JSON.stringify(parsed.error?.issues)}`).toBe(
            true,
          );
        }
      }
    },
  );

  it('with REDIS_URL: two tracker nodes on it, each given to the origin and the player', () => {
    const trackers = twoNodes.filter((s) => s.app === 'tracker');
    expect(trackers.map((s) => s.name)).toEqual(['tracker-a', 'tracker-b']);
    for (const tracker of trackers) expect(tracker.env?.REDIS_URL).toBe('redis://127.0.0.1:6379');
    expect(byName(twoNodes, 'origin').env?.TRACKER_URLS?.split(',')).toEqual(
      trackers.map((s) => `ws://127.0.0.1:${s.port}/ws`),
    );
    // The dashboard polls every node's /stats and /metrics.
    expect(byName(twoNodes, 'player').env?.TRACKER_STATS_URLS?.split(',')).toEqual(
      trackerBases(twoNodes),
    );
  });

  it('without REDIS_URL: one tracker in memory, the one the player reads', () => {
    expect(single.filter((s) => s.app === 'tracker').map((s) => s.name)).toEqual(['tracker-a']);
    expect(byName(single, 'tracker-a').env?.REDIS_URL).toBeUndefined();
    expect(byName(single, 'player').env?.TRACKER_STATS_URLS?.split(',')).toEqual(
      trackerBases(single),
    );
  });

  it('mirrors docker-compose: as many tracker nodes, each read by the player', () => {
    const compose = resolvedCompose([composeFile]);
    const composeTrackers = Object.values(compose.services).filter((s) => appOf(s) === 'tracker');
    const composeStats = compose.services.player?.environment?.TRACKER_STATS_URLS?.split(',');
    expect(twoNodes.filter((s) => s.app === 'tracker')).toHaveLength(composeTrackers.length);
    expect(byName(twoNodes, 'player').env?.TRACKER_STATS_URLS?.split(',')).toHaveLength(
      composeStats?.length ?? 0,
    );
  });
});
