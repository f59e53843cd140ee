import { spawnService, waitFor, type RunningService } from '@coral-cdn/test-support';
import { getJson, type TestClient } from './support.js';

/** What the cross-node tests read from a tracker's `/stats`. */
export interface NodeStats {
  store: { kind: string; healthy: boolean };
  peers: number;
  swarms: number;
}

/**
 * Two built tracker processes on one shared store (a Redis or a Redis Cluster, named by
 * `storeEnv`), both healthy on it, and the clients the test opens: each pings well within the
 * 3 s heartbeat, as the engine does, and all are closed by `stop()`.
 */
export interface TwoNodes {
  a: RunningService;
  b: RunningService;
  clients: TestClient[];
  wsUrl(node: RunningService): string;
  stats(node: RunningService): Promise<NodeStats>;
  stop(): Promise<void>;
}

export interface TwoNodesOptions {
  /** The store both nodes share: `REDIS_URL` or `REDIS_CLUSTER_NODES`. */
  storeEnv: Record<string, string>;
  tokenPublicKey: string;
  /** Names the store in the wait's error message. */
  storeLabel: string;
  /** Further settings for both nodes. */
  env?: Record<string, string>;
}

export async function startTwoNodes(options: TwoNodesOptions): Promise<TwoNodes> {
  const clients: TestClient[] = [];
  const pinger = setInterval(() => {
    for (const client of clients) if (client.socket.readyState === 1) client.send({ type: 'ping' });
  }, 800);
  const env = (nodeId: string) => ({
    ...options.storeEnv,
    NODE_ID: nodeId,
    TOKEN_PUBLIC_KEY: options.tokenPublicKey,
    HEARTBEAT_MS: '3000',
    TRUST_PROXY: 'true',
    REPORT_MIN_TENURE_MS: '0',
    // Members announce 1–8 Mbit/s to test the election across nodes, not the preferences.
    LIVE_FETCHER_PREFERRED_UPLOAD_KBPS: '0',
    LIVE_FETCHER_UPLOAD_PERCENT_OF_BEST: '0',
    ...options.env,
  });
  const started = await Promise.allSettled([
    spawnService({ app: 'tracker', name: 'tracker-a', env: env('node-a') }),
    spawnService({ app: 'tracker', name: 'tracker-b', env: env('node-b') }),
  ]);
  const [a, b] = started.map((s) => (s.status === 'fulfilled' ? s.value : undefined));
  const stats = (node: RunningService) => getJson<NodeStats>(`${node.url}/stats`);
  try {
    if (!a || !b) throw new Error('a tracker node did not start', { cause: started });
    await waitFor(
      `both nodes on ${options.storeLabel}`,
      async () => (await stats(a)).store.healthy && (await stats(b)).store.healthy,
    );
  } catch (error) {
    // Leave no process or timer behind for a set-up that failed half way.
    clearInterval(pinger);
    await Promise.all([a?.stop(), b?.stop()]);
    throw error;
  }
  let stopped = false;
  return {
    a,
    b,
    clients,
    wsUrl: (node) => `ws://127.0.0.1:${node.port}/ws`,
    stats,
    async stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(pinger);
      for (const client of clients) client.close();
      await Promise.all([a.stop(), b.stop()]);
    },
  };
}
