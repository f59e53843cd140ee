// Child process: bittorrent-tracker's server (WebSocket announce protocol only) on PORT, with
// GET /healthz so that spawnService can wait for it. Imports only `bittorrent-tracker/server`.
import { createServer } from 'node:http';
import { pathToFileURL } from 'node:url';
import { WebSocketServer } from 'ws';

interface BittorrentServer {
  onWebSocketConnection(socket: unknown): void;
  on(event: string, listener: (...args: unknown[]) => void): void;
  close(cb?: () => void): void;
}
type ServerConstructor = new (options: Record<string, unknown>) => BittorrentServer;

const serverPath = process.env.BITTORRENT_SERVER_PATH;
if (!serverPath) throw new Error('BITTORRENT_SERVER_PATH is not set');
const module = (await import(pathToFileURL(serverPath).href)) as { default: ServerConstructor };
const tracker = new module.default({
  http: false,
  udp: false,
  ws: false,
  stats: false,
  // Its swarms are LRU caches of 1000 peers by default; hold every simulated peer.
  peersCacheLength: 1_000_000,
});
tracker.on('warning', () => undefined);
tracker.on('error', () => undefined);

const http = createServer((request, response) => {
  response.writeHead(request.url === '/healthz' ? 200 : 404).end();
});
const wss = new WebSocketServer({ server: http, perMessageDeflate: false, clientTracking: false });
wss.on('connection', (socket, request) => {
  (socket as unknown as { upgradeReq: unknown }).upgradeReq = request;
  tracker.onWebSocketConnection(socket);
});
http.listen(Number(process.env.PORT), process.env.HOST ?? '127.0.0.1');
process.on('SIGTERM', () => {
  tracker.close();
  http.close();
  process.exit(0);
});
