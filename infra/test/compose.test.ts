import {
  copyFileSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import {
  appOf,
  dockerCompose,
  portMappings,
  resolvedCompose,
  type ComposeConfig,
  type ComposeService,
} from './support/compose.js';
import {
  APP_NAMES,
  appConfigSchema,
  composeFile,
  infraDir,
  podmanOverride,
  repoRoot,
} from './support/paths.js';

/**
 * infra/docker-compose.yml, checked without a container engine: it validates with
 * docker-compose 1.29, every service's env vars are ones its app's zod schema knows (and
 * parse), and the ports and URLs that services and browsers use agree with each other.
 */

const config: ComposeConfig = resolvedCompose([composeFile]);
const services = Object.entries(config.services);
const appServices = services.filter(([, service]) => appOf(service) !== null);
const env = (name: string) => config.services[name]?.environment ?? {};
const scratch = mkdtempSync(join(tmpdir(), 'coral-compose-'));

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** The service whose container listens on `port`: the service name and its env PORT. */
function serviceOnPublishedPort(port: number): [string, ComposeService] | undefined {
  return services.find(([, service]) =>
    portMappings(service).some((mapping) => mapping.published === port),
  );
}

describe('docker-compose.yml', () => {
  it('validates offline with docker-compose 1.29 (alone and with the podman override)', () => {
    const alone = dockerCompose(['-f', composeFile, 'config', '-q']);
    expect(alone.stderr).toBe('');
    expect(alone.status).toBe(0);
    const both = dockerCompose(['-f', composeFile, '-f', podmanOverride, 'config', '-q']);
    expect(both.stderr).toBe('');
    expect(both.status).toBe(0);
  });

  it('is really validated: the same file with a key v1.29 does not know is refused', () => {
    const broken = join(scratch, 'docker-compose.yml');
    copyFileSync(composeFile, broken);
    writeFileSync(
      broken,
      readFileSync(broken, 'utf8').replace(
        '  origin:\n',
        '  origin:\n    develop:\n      watch: []\n',
      ),
    );
    const run = dockerCompose(['-f', broken, 'config', '-q']);
    expect(run.status).not.toBe(0);
    expect(run.stderr).toMatch(/develop/);
  });

  it('runs redis, origin, two edges in two regions, two trackers, the player, Prometheus, Grafana', () => {
    const apps = appServices.map(([name, service]) => `${name}:${appOf(service)}`).sort();
    expect(apps).toEqual([
      'edge-eu-west:edge',
      'edge-us-east:edge',
      'origin:origin',
      'player:player',
      'tracker-a:tracker',
      'tracker-b:tracker',
    ]);
    expect(Object.keys(config.services)).toEqual(
      expect.arrayContaining(['redis', 'prometheus', 'grafana']),
    );
    expect(new Set([env('edge-eu-west').EDGE_REGION, env('edge-us-east').EDGE_REGION]).size).toBe(
      2,
    );
    expect(config.services.origin!.volumes).toEqual(['origin-data:/data:rw']);
    expect(Object.keys(config.volumes ?? {})).toContain('origin-data');
  });

  it.each(APP_NAMES)(
    'every env var of the %s services is one its config schema knows',
    async (app) => {
      const schema = await appConfigSchema(app);
      const known = Object.keys(schema.shape);
      const ofApp = appServices.filter(([, service]) => appOf(service) === app);
      expect(ofApp.length).toBeGreaterThan(0);
      for (const [name, service] of ofApp) {
        const vars = service.environment ?? {};
        for (const key of Object.keys(vars)) {
          expect(known, `${name}: ${key} is not read by apps/${app}`).toContain(key);
        }
        // And the values are valid: the whole env parses as the app would parse it. A null
        // value passes the shell's variable through, and is absent when the shell has none.
        const given = Object.fromEntries(
          Object.entries(vars).filter(([, value]) => value !== null),
        );
        const parsed = schema.safeParse(given);
        expect(
          parsed.success,
          `${name}: ${JSON.stringify(parsed.error?.issues.map((i) => `${String(i.path[0])}: ${i.message}`))}`,
        ).toBe(true);
      }
    },
  );

  it('every app listens on the port it publishes, at the same number inside and out', () => {
    for (const [name, service] of appServices) {
      const port = Number(service.environment?.PORT);
      const mappings = portMappings(service);
      expect(mappings, name).toHaveLength(1);
      expect(mappings[0], name).toMatchObject({ published: port, target: port });
      expect(mappings[0]!.hostIp, name).toBe('127.0.0.1');
    }
    const published = services.flatMap(([, s]) =>
      portMappings(s).map((m) => `${m.published}/${m.protocol}`),
    );
    expect(new Set(published).size).toBe(published.length);
  });

  it('runs coturn for STUN on 3478 (UDP and TCP), STUN-only, and hands it to viewers', () => {
    const coturn = config.services.coturn!;
    expect(
      portMappings(coturn)
        .map((m) => `${m.published}:${m.target}/${m.protocol}`)
        .sort(),
    ).toEqual(['3478:3478/tcp', '3478:3478/udp']);
    // No relay without a secret of the operator's own.
    expect(coturn.command).toContain('--stun-only');
    const stun = new URL(env('origin').ICE_STUN_URLS!.replace('stun:', 'stun://'));
    expect(stun.hostname).toBe(new URL(env('origin').PUBLIC_URL!).hostname);
    expect(stun.port).toBe('3478');
  });

  it('the browser-facing URLs the origin hands out point at published edge and tracker ports', () => {
    const origin = env('origin');
    const publicUrl = new URL(origin.PUBLIC_URL!);
    expect(serviceOnPublishedPort(Number(publicUrl.port))?.[0]).toBe('origin');
    const edges = origin.EDGES!.split(',').map((item) => item.split('='));
    expect(edges.length).toBe(2);
    for (const [region, url] of edges) {
      const target = new URL(url!);
      expect(target.hostname).toBe(publicUrl.hostname);
      const [name, service] = serviceOnPublishedPort(Number(target.port)) ?? [];
      expect(appOf(service ?? {}), `${url} is no edge`).toBe('edge');
      expect(service!.environment!.EDGE_REGION, `${name}`).toBe(region);
    }
    expect(edges.map(([region]) => region)).toContain(origin.DEFAULT_REGION);
    const trackerUrls = origin.TRACKER_URLS!.split(',');
    expect(trackerUrls.length).toBe(2);
    for (const url of trackerUrls) {
      const target = new URL(url);
      expect(target.protocol).toBe('ws:');
      expect(target.pathname).toBe('/ws');
      expect(target.hostname).toBe(publicUrl.hostname);
      const [, service] = serviceOnPublishedPort(Number(target.port)) ?? [];
      expect(appOf(service ?? {}), `${url} is no tracker`).toBe('tracker');
    }
    // The player page calls the origin from the viewer's browser: its public URL.
    expect(env('player').ORIGIN_URL).toBe(origin.PUBLIC_URL);
  });

  it('CORAL_PUBLIC_HOST moves every browser-facing URL, and only those', () => {
    const moved = resolvedCompose([composeFile], { CORAL_PUBLIC_HOST: 'cdn.example.org' });
    const origin = moved.services.origin!.environment!;
    expect(origin.PUBLIC_URL).toBe('http://cdn.example.org:8080');
    expect(origin.EDGES).toBe(
      'eu-west=http://cdn.example.org:8081,us-east=http://cdn.example.org:8082',
    );
    expect(origin.TRACKER_URLS).toBe('ws://cdn.example.org:8090/ws,ws://cdn.example.org:8091/ws');
    expect(moved.services.player!.environment!.ORIGIN_URL).toBe('http://cdn.example.org:8080');
    expect(moved.services['edge-eu-west']!.environment!.ORIGIN_URL).toBe('http://origin:8080');
  });

  it('service-to-service URLs name a service and the port it listens on', () => {
    const listens = (name: string) => Number(config.services[name]?.environment?.PORT);
    const check = (from: string, url: string, expectedApp: string | null, path = '') => {
      const target = new URL(url);
      const service = config.services[target.hostname];
      expect(service, `${from} → ${url}: no service ${target.hostname}`).toBeDefined();
      if (expectedApp) {
        expect(appOf(service!), `${from} → ${url}`).toBe(expectedApp);
        expect(Number(target.port), `${from} → ${url}`).toBe(listens(target.hostname));
      }
      expect(target.pathname, `${from} → ${url}`).toBe(path || target.pathname);
    };
    for (const [name, service] of appServices) {
      const vars = service.environment ?? {};
      if (appOf(service) === 'edge') check(name, vars.ORIGIN_URL!, 'origin', '/');
      if (appOf(service) === 'tracker') {
        check(name, vars.TOKEN_JWKS_URL!, 'origin', '/.well-known/jwks.json');
        check(name, vars.REDIS_URL!, null);
        expect(new URL(vars.REDIS_URL!).port).toBe('6379');
      }
    }
    const statsUrls = env('player').TRACKER_STATS_URLS!.split(',');
    expect(statsUrls.map((url) => new URL(url).hostname).sort()).toEqual([
      'tracker-a',
      'tracker-b',
    ]);
    for (const url of statsUrls) check('player', url, 'tracker');
    const nodeIds = appServices
      .filter(([, s]) => appOf(s) === 'tracker')
      .map(([, s]) => s.environment?.NODE_ID);
    expect(new Set(nodeIds).size).toBe(2);
  });

  it('waits on health: depends_on conditions name services that have a healthcheck', () => {
    for (const [name, service] of services) {
      expect(service.healthcheck, `${name} has no healthcheck`).toBeDefined();
      for (const [dependency, { condition }] of Object.entries(service.depends_on ?? {})) {
        expect(config.services[dependency], `${name} → ${dependency}`).toBeDefined();
        expect(['service_healthy', 'service_started']).toContain(condition);
      }
    }
    for (const [name, service] of appServices) {
      expect(service.healthcheck!.test, name).toEqual(['CMD', 'node', '/app/healthcheck.mjs']);
      if (name !== 'origin') {
        expect(service.depends_on?.origin?.condition, name).toBe('service_healthy');
      }
    }
    for (const tracker of ['tracker-a', 'tracker-b']) {
      expect(config.services[tracker]!.depends_on?.redis?.condition).toBe('service_healthy');
    }
  });

  it('builds each app from its Dockerfile in infra/docker, from the repository root', () => {
    for (const [name, service] of appServices) {
      if (!service.build) {
        // A second instance reuses the image the first one builds.
        expect(
          appServices.some(([, other]) => other.build && other.image === service.image),
          `${name}: image ${service.image} is built by no service`,
        ).toBe(true);
        continue;
      }
      expect(service.build.context, name).toBe(repoRoot);
      const dockerfile = join(repoRoot, service.build.dockerfile!);
      expect(existsSync(dockerfile), `${name}: ${dockerfile}`).toBe(true);
      expect(service.build.args?.BASE_IMAGE).toBe('node:20-bookworm-slim');
    }
  });

  it('Prometheus scrapes every app instance where it listens; Grafana reads Prometheus', () => {
    const prometheus = parse(readFileSync(join(infraDir, 'prometheus/prometheus.yml'), 'utf8')) as {
      scrape_configs: Array<{ static_configs: Array<{ targets: string[] }> }>;
    };
    const targets = prometheus.scrape_configs
      .flatMap((job) => job.static_configs.flatMap((s) => s.targets))
      .sort();
    expect(targets).toEqual(
      appServices.map(([name, service]) => `${name}:${service.environment!.PORT}`).sort(),
    );
    const mounts = config.services.prometheus!.volumes ?? [];
    expect(
      mounts.some((m) => m.includes('prometheus/prometheus.yml:/etc/prometheus/prometheus.yml')),
    ).toBe(true);
    const datasources = parse(
      readFileSync(join(infraDir, 'grafana/provisioning/datasources/prometheus.yml'), 'utf8'),
    ) as { datasources: Array<{ url: string; uid: string }> };
    const url = new URL(datasources.datasources[0]!.url);
    expect(url.hostname).toBe('prometheus');
    expect(portMappings(config.services.prometheus!)[0]!.target).toBe(Number(url.port));
  });
});
