import {
  createCoralHls,
  fetchPlaybackInfo,
  type BrowserPlatformOptions,
  type CdnReason,
  type CoralHls,
  type CoralStats,
  type PlaybackInfo,
  type PlaybackState,
  type SegmentDelivery,
} from '@coral-cdn/hlsjs';
import Hls from 'hls.js';
import { drawChart } from './chart.js';
import { StatsHistory, type Sample } from './history.js';
import { llLatencySettings } from './ll-latency.js';
import { OVERLAY_RATE_WINDOW_SEC, renderOverlay } from './overlay.js';
import { isStreamId, readSettings, saveP2pChoice, viewerP2pChoice } from './settings.js';

/** What /config.json (the player's server) tells the page. */
interface PageConfig {
  originUrl: string;
  p2pDefault: boolean;
  iceServers: RTCIceServer[];
}

/** `window.coral`: the page's state for automation (e2e tests, benchmarks) and curious viewers. */
export interface CoralPageApi {
  /** The stream being played. */
  id: string;
  /** Playback info fetched and hls.js created. */
  ready: boolean;
  error: string | null;
  p2pEnabled: boolean;
  /** Engine counters and the player's QoE (null before `ready`). */
  readonly stats: CoralStats | null;
  readonly playback: {
    state: PlaybackState | 'detached';
    positionSec: number;
    bufferedAheadSec: number;
    durationSec: number | null;
    paused: boolean;
    rendition: string | null;
    /** Live: seconds behind the playlist's edge (hls.js's estimate); null for VOD. */
    latencySec: number | null;
  };
  readonly stalls: number;
  readonly stallMs: number;
  readonly startupMs: number | null;
  /** One sample a second of the byte counters (the chart's data). */
  readonly history: readonly Sample[];
  /** The engine's last log lines. */
  readonly logs: readonly string[];
  /**
   * The last fragments the engine handed to hls.js: source (`http`, `p2p`, `mixed`), size and
   * the SHA-256 of the bytes hls.js received, to check against the origin's signed manifest.
   */
  readonly segments: readonly SegmentRecord[];
  /** Turn P2P on or off (remembered), restarting playback where it was. */
  setP2p(on: boolean): Promise<void>;
}

export interface SegmentRecord {
  rendition: string;
  sequence: number;
  source: 'http' | 'p2p' | 'mixed';
  /** Why the CDN was asked (null: all from peers; see SegmentDelivery in @coral-cdn/hlsjs). */
  cdnReason: CdnReason | null;
  fromStore: boolean;
  sizeBytes: number;
  sha256: string;
  /**
   * When the engine handed it to hls.js, ms since the Unix epoch (`Date.now()`: pages on one
   * machine share that clock, so a swarm's deliveries of one segment can be ordered).
   */
  deliveredAtMs: number;
  /** Media hls.js had buffered ahead of the playhead then, s: how close this came to a stall. */
  bufferedAheadSec: number | null;
  /** Live: the player's latency behind the playlist's edge then, s (null for VOD). */
  latencySec: number | null;
}

declare global {
  interface Window {
    coral: CoralPageApi;
  }
}

const HISTORY_SEC = 120;
const MAX_LOG_LINES = 300;
const MAX_SEGMENT_RECORDS = 500;
/**
 * With P2P on, hls.js keeps this much media buffered ahead and the engine prefetches further
 * ahead from peers: what hls.js asks for at start-up, before any peer is connected, comes from
 * the CDN, so a bounded hls.js buffer leaves more to peers. (hls.js's own default buffers
 * max(30 s, 60 MB of media) up to 600 s ahead: a whole short video at start-up.) With P2P off,
 * hls.js runs on its defaults.
 */
const P2P_MAX_BUFFER_SEC = 12;

/** hls.js's buffer settings for `bufferSec` ahead (null: its defaults). */
function bufferConfig(bufferSec: number | null): Record<string, number> {
  return bufferSec === null ? {} : { maxBufferLength: bufferSec, maxMaxBufferLength: bufferSec };
}

function element<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`#${id} missing from the page`);
  return found as T;
}

const video = element<HTMLVideoElement>('video');
const statusLine = element<HTMLParagraphElement>('status');
const p2pSwitch = element<HTMLInputElement>('p2p-switch');
const streamForm = element<HTMLFormElement>('stream-form');
const streamInput = element<HTMLInputElement>('stream-id');
const chart = element<HTMLCanvasElement>('chart');
const overlay = {
  offload: element('offload'),
  peers: element('peers'),
  figures: element('figures'),
};

const statsHistory = new StatsHistory(HISTORY_SEC + 1);
const logs: string[] = [];
const segments: SegmentRecord[] = [];
let current: CoralHls | null = null;
let generation = 0;

function storage(): Storage | null {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}

function setStatus(text: string, isError = false): void {
  statusLine.textContent = text;
  statusLine.classList.toggle('error', isError);
}

function log(level: string, message: string, fields?: Record<string, unknown>): void {
  logs.push(
    `${new Date().toISOString()} ${level} ${message}${fields ? ` ${JSON.stringify(fields)}` : ''}`,
  );
  if (logs.length > MAX_LOG_LINES) logs.splice(0, logs.length - MAX_LOG_LINES);
}

async function recordSegment(delivery: SegmentDelivery): Promise<void> {
  // Read before the digest's await: these describe the moment of delivery.
  const deliveredAtMs = Date.now();
  const bufferedAheadSec = current ? current.stats.bufferedAheadSec : null;
  const latencySec = liveLatencySec();
  const digest = await crypto.subtle.digest('SHA-256', delivery.bytes as Uint8Array<ArrayBuffer>);
  const sha256 = [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
  segments.push({
    rendition: delivery.rendition,
    sequence: delivery.sequence,
    source: delivery.source,
    cdnReason: delivery.cdnReason,
    fromStore: delivery.fromStore,
    sizeBytes: delivery.sizeBytes,
    sha256,
    deliveredAtMs,
    bufferedAheadSec,
    latencySec,
  });
  if (segments.length > MAX_SEGMENT_RECORDS)
    segments.splice(0, segments.length - MAX_SEGMENT_RECORDS);
}

async function loadPageConfig(): Promise<PageConfig> {
  const response = await fetch('/config.json', { cache: 'no-store' });
  if (!response.ok) throw new Error(`/config.json answered ${response.status}`);
  return (await response.json()) as PageConfig;
}

// Not awaited here: a page told its manifest (`?src=`) and the viewer's P2P choice starts
// hls.js before /config.json answers (the origin's address and the ICE servers are needed only
// for the playback info, which the engine needs only later). Only the operator's P2P default,
// when the viewer made no choice, is waited for.
const pageConfigLoad = loadPageConfig();
pageConfigLoad.catch((error: unknown) => {
  setStatus(`Cannot load the player's configuration: ${String(error)}`, true);
});
const p2pDefault = viewerP2pChoice(location.search, storage()) ?? (await pageConfigLoad).p2pDefault;
const settings = readSettings(location.search, storage(), p2pDefault);

const api: CoralPageApi = {
  id: settings.id,
  ready: false,
  error: null,
  p2pEnabled: settings.p2p,
  get stats() {
    return current?.stats ?? null;
  },
  get playback() {
    const stats = current?.stats;
    return {
      state: stats?.playbackState ?? 'detached',
      positionSec: video.currentTime,
      bufferedAheadSec: stats?.bufferedAheadSec ?? 0,
      durationSec: Number.isFinite(video.duration) ? video.duration : null,
      paused: video.paused,
      rendition: stats?.rendition ?? null,
      latencySec: liveLatencySec(),
    };
  },
  get stalls() {
    return current?.stats.stalls ?? 0;
  },
  get stallMs() {
    return current?.stats.stallMs ?? 0;
  },
  get startupMs() {
    return current?.stats.startupMs ?? null;
  },
  get history() {
    return statsHistory.all;
  },
  get logs() {
    return logs;
  },
  get segments() {
    return segments;
  },
  setP2p: (on) => switchP2p(on),
};
window.coral = api;

/**
 * (Re)start playback of `id`, with P2P on or off, from `startPositionSec` (-1: default).
 * `onLoad`: the page plays as it loads, so start-up counts from navigation start (as the
 * benchmark measures it), not from this call.
 */
async function play(
  id: string,
  p2p: boolean,
  startPositionSec = -1,
  onLoad = false,
): Promise<void> {
  const mine = ++generation;
  current?.destroy();
  current = null;
  statsHistory.clear();
  segments.length = 0;
  Object.assign(api, { id, ready: false, error: null, p2pEnabled: p2p });
  setStatus(`Loading “${id}”…`);
  const askOrigin = async () =>
    fetchPlaybackInfo((await pageConfigLoad).originUrl, id, {
      ...(settings.region ? { region: settings.region } : {}),
    });
  // The engine's platform is made when the playback info is here, after /config.json.
  const platformOptions: BrowserPlatformOptions = { log };
  const playbackInfo = pageConfigLoad.then((pageConfig) => {
    // The origin's servers (with fresh TURN credentials), when it sends some, win over these.
    platformOptions.iceServers = pageConfig.iceServers;
    return askOrigin();
  });
  // A page told its manifest (`?src=`) starts hls.js on it at once; otherwise the playback
  // info says where it is.
  let playback: PlaybackInfo | Promise<PlaybackInfo> = playbackInfo;
  if (settings.src === null) {
    try {
      playback = await playbackInfo;
    } catch (error) {
      if (mine !== generation) return;
      api.error = error instanceof Error ? error.message : String(error);
      setStatus(api.error, true);
      return;
    }
    if (mine !== generation) return;
  }
  const coral = createCoralHls({
    Hls,
    media: video,
    playback,
    ...(settings.src !== null ? { manifestUrl: settings.src } : {}),
    p2p,
    platformOptions,
    // Sessions outlive the viewer token: ask the origin again when the tracker refuses it.
    refreshToken: async () => (await askOrigin()).token,
    onSegment: (delivery) => void recordSegment(delivery),
    ...(onLoad ? { startupOriginMs: 0 } : {}),
    hlsConfig: {
      startPosition: startPositionSec,
      ...bufferConfig(settings.bufferSec ?? (p2p ? P2P_MAX_BUFFER_SEC : null)),
      ...(settings.liveSyncSegments !== null
        ? { liveSyncDurationCount: settings.liveSyncSegments }
        : {}),
    },
  });
  current = coral;
  // The chart's first interval starts from zero, so the start-up burst shows.
  statsHistory.push({
    atMs: performance.now(),
    httpBytes: 0,
    p2pBytes: 0,
    uploadedBytes: 0,
    peers: 0,
  });
  const hls = coral.hls;
  hls.on(Hls.Events.MANIFEST_PARSED, () => {
    if (settings.maxHeight !== null) {
      let cap = -1;
      hls.levels.forEach((level, index) => {
        if (level.height <= settings.maxHeight!) cap = index;
      });
      if (cap >= 0) hls.autoLevelCapping = cap;
    }
  });
  hls.on(Hls.Events.LEVEL_UPDATED, (_event, data) => {
    // An LL-HLS playlist (it has parts): keep near its edge. hls.js plays slightly faster
    // while a little behind, and jumps to the edge when too far behind (a slow start-up).
    const { partTarget, partHoldBack, targetduration } = data.details;
    if (!data.details.live || partTarget <= 0) return;
    const latency = llLatencySettings(partHoldBack, targetduration);
    hls.config.maxLiveSyncPlaybackRate = latency.maxLiveSyncPlaybackRate;
    hls.config.liveMaxLatencyDuration = latency.liveMaxLatencyDurationSec;
  });
  hls.on(Hls.Events.ERROR, (_event, data) => {
    log(data.fatal ? 'error' : 'warn', `hls.js ${data.details}`, { fatal: data.fatal });
    if (!data.fatal) return;
    if (data.type === Hls.ErrorTypes.NETWORK_ERROR) hls.startLoad();
    else if (data.type === Hls.ErrorTypes.MEDIA_ERROR) hls.recoverMediaError();
    else {
      api.error = `playback failed: ${data.details}`;
      setStatus(api.error, true);
    }
  });
  video.play().catch(() => setStatus('Press play to start', false));
  let engine;
  try {
    engine = await coral.ready;
  } catch (error) {
    if (mine !== generation) return;
    api.error = error instanceof Error ? error.message : String(error);
    setStatus(api.error, true);
    return;
  }
  if (mine !== generation) return;
  const info = await playbackInfo.catch(() => null);
  let note = '';
  if (p2p && engine === null) {
    // No WebRTC or WebCrypto here, or no playback info: hls.js plays from the CDN.
    note = ` (P2P unavailable: ${coral.engineError?.message ?? 'unknown'})`;
    log('error', 'P2P unavailable, playing from the CDN', { error: String(coral.engineError) });
    api.p2pEnabled = false;
  }
  api.ready = true;
  setStatus(
    `${info?.kind === 'live' ? 'Live' : 'Video'} “${id}”` +
      (info ? ` from edge ${info.edge.region}` : '') +
      (coral.p2pEnabled ? ', P2P on' : ', P2P off') +
      note,
  );
}

async function switchP2p(on: boolean): Promise<void> {
  saveP2pChoice(storage(), on);
  p2pSwitch.checked = on;
  const position = video.currentTime > 0 ? video.currentTime : -1;
  await play(api.id, on, position);
}

/** hls.js's live latency estimate: null for VOD and before the first live playlist. */
function liveLatencySec(): number | null {
  const hls = current?.hls;
  const details = hls?.levels[hls.currentLevel]?.details;
  if (!hls || !details?.live) return null;
  return Math.round(hls.latency * 1000) / 1000;
}

function tick(): void {
  const stats = current?.stats ?? null;
  if (stats) {
    statsHistory.push({
      atMs: performance.now(),
      httpBytes: stats.httpBytes,
      p2pBytes: stats.p2pBytes,
      uploadedBytes: stats.uploadedBytes,
      peers: stats.peers,
    });
  }
  renderOverlay(
    overlay,
    stats,
    statsHistory.windowed(OVERLAY_RATE_WINDOW_SEC * 1000),
    liveLatencySec(),
  );
  drawChart(chart, statsHistory.rates(), HISTORY_SEC);
}

p2pSwitch.checked = settings.p2p;
p2pSwitch.addEventListener('change', () => void switchP2p(p2pSwitch.checked));
streamInput.value = settings.id;
streamForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const id = streamInput.value.trim();
  if (!isStreamId(id)) {
    setStatus(`“${id}” is not a stream id`, true);
    return;
  }
  const url = new URL(location.href);
  url.searchParams.set('id', id);
  window.history.replaceState(null, '', url);
  void play(id, p2pSwitch.checked);
});
window.addEventListener('pagehide', () => current?.destroy());
setInterval(tick, 1000);
void play(settings.id, settings.p2p, -1, true);
