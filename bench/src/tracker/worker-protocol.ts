/** IPC between the tracker benchmark and its load workers. */
export type WorkerCommand =
  | {
      cmd: 'connect';
      kind: 'coral' | 'bittorrent';
      url: string;
      count: number;
      workerId: number;
      /** Peers of this worker that drive the throughput phases. */
      activeClients: number;
      /** PKCS8 PEM of the viewer-token key (coral only). */
      tokenKeyPem: string | null;
    }
  | { cmd: 'announce'; durationMs: number; window: number }
  | { cmd: 'query'; durationMs: number; window: number; peers: number }
  | { cmd: 'relay'; durationMs: number; ratePerSec: number }
  | { cmd: 'close' };

export type WorkerReply =
  | { ev: 'connected'; ms: number }
  | {
      ev: 'throughput';
      completed: number;
      /** From the start to the deadline, plus drainMs when the phase has a barrier. */
      elapsedMs: number;
      /** How long after the deadline the work done before it was all handled. */
      drainMs: number;
    }
  | { ev: 'latencies'; sent: number; latenciesMs: number[] }
  | { ev: 'error'; message: string };
