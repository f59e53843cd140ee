import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  makeTempDir,
  spawnService,
  type RunningService,
  type TempDir,
} from '@coral-cdn/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { infraDir } from './support/paths.js';

/**
 * The provisioned Grafana dashboard queries the metrics the services really expose: every
 * `coral_*` series it names is declared (`# TYPE`) in the /metrics of the built apps, run
 * here as processes.
 */

interface Dashboard {
  uid: string;
  panels: Array<{ title: string; datasource: { uid: string }; targets: Array<{ expr: string }> }>;
}

const dashboard = JSON.parse(
  readFileSync(join(infraDir, 'grafana/dashboards/coral.json'), 'utf8'),
) as Dashboard;
let services: RunningService[] = [];
let dataDir: TempDir;
const declared = new Set<string>();

beforeAll(async () => {
  dataDir = makeTempDir('coral-infra-metrics-');
  const origin = await spawnService({
    app: 'origin',
    env: { DATA_DIR: join(dataDir.path, 'origin') },
  });
  services.push(origin);
  const rest = await Promise.all([
    spawnService({ app: 'edge', env: { ORIGIN_URL: origin.url, EDGE_REGION: 'eu-west' } }),
    spawnService({
      app: 'tracker',
      env: { TOKEN_JWKS_URL: `${origin.url}/.well-known/jwks.json`, NODE_ID: 'metrics-test' },
    }),
    spawnService({ app: 'player', env: { ORIGIN_URL: origin.url } }),
  ]);
  services = [...services, ...rest];
  for (const service of services) {
    const text = await (await fetch(`${service.url}/metrics`)).text();
    for (const match of text.matchAll(/^# TYPE (\S+) /gm)) declared.add(match[1]!);
  }
});

afterAll(async () => {
  await Promise.all(services.map((service) => service.stop()));
  dataDir?.remove();
});

describe('Grafana dashboard', () => {
  it('has the panels the operators asked for', () => {
    const titles = dashboard.panels.map((panel) => panel.title.toLowerCase()).join('\n');
    for (const topic of [
      'offload',
      'cdn bytes',
      'cache hit ratio',
      'peers',
      'tracker messages/s',
      'stalls',
    ]) {
      expect(titles).toContain(topic);
    }
  });

  it('queries only metrics that the services declare', () => {
    const used = new Set<string>();
    for (const panel of dashboard.panels) {
      for (const target of panel.targets) {
        for (const match of target.expr.matchAll(/\bcoral_[a-z0-9_]+/g)) used.add(match[0]);
      }
    }
    expect(used.size).toBeGreaterThan(10);
    for (const name of used) {
      const family = name.replace(/_(bucket|sum|count)$/, '');
      expect(
        declared.has(name) || declared.has(family),
        `${name} is not in any service's /metrics`,
      ).toBe(true);
    }
  });

  it('reads the provisioned Prometheus data source, from the folder Grafana loads', () => {
    const datasources = parse(
      readFileSync(join(infraDir, 'grafana/provisioning/datasources/prometheus.yml'), 'utf8'),
    ) as { datasources: Array<{ uid: string }> };
    const uid = datasources.datasources[0]!.uid;
    for (const panel of dashboard.panels) expect(panel.datasource.uid, panel.title).toBe(uid);
    const providers = parse(
      readFileSync(join(infraDir, 'grafana/provisioning/dashboards/coral.yml'), 'utf8'),
    ) as { providers: Array<{ options: { path: string } }> };
    const compose = readFileSync(join(infraDir, 'docker-compose.yml'), 'utf8');
    expect(compose).toContain(`./grafana/dashboards:${providers.providers[0]!.options.path}:ro`);
  });
});
