import type { Logger } from '@coral-cdn/server-kit';
import type express from 'express';
import { loadOrCreateGeneratedKey } from './auth/generated-key.js';
import { OPERATOR_SCOPES, OperatorKeys } from './auth/operator-keys.js';
import type { OriginConfig } from './config.js';
import { resolveFfmpeg, type FfmpegBinaries } from './ffmpeg/binaries.js';
import { buildApp } from './http/app.js';
import { loadKeys } from './integrity/keys.js';
import { LiveService } from './live/service.js';
import { createOriginMetrics, type OriginMetrics } from './metrics.js';
import { DataPaths } from './paths.js';
import { ViewerTokens } from './tokens.js';
import { VideoService } from './vod/service.js';

export interface Origin {
  readonly app: express.Express;
  readonly binaries: FfmpegBinaries;
  readonly videos: VideoService;
  readonly live: LiveService;
  readonly metrics: OriginMetrics;
  readonly operatorKeys: OperatorKeys;
  /** base64url raw Ed25519 public key of the integrity signatures. */
  readonly publicKey: string;
  /** Stop jobs and live ffmpeg processes (jobs resume at the next start). Idempotent. */
  close(): Promise<void>;
}

/** Assemble the origin: ffmpeg, keys, VOD jobs, live channels and the HTTP app. */
export async function createOrigin(config: OriginConfig, logger: Logger): Promise<Origin> {
  const binaries = await resolveFfmpeg({
    ffmpegPath: config.FFMPEG_PATH,
    ffprobePath: config.FFPROBE_PATH,
    pathEnv: process.env.PATH,
  });
  const keys = await loadKeys({
    dataDir: config.DATA_DIR,
    integrityKeyFile: config.INTEGRITY_KEY_FILE,
    tokenKeyFile: config.TOKEN_KEY_FILE,
  });
  const operatorKeys = await resolveOperatorKeys(config, logger);
  const metrics = createOriginMetrics();
  const paths = new DataPaths(config.DATA_DIR);
  const videos = new VideoService({
    paths,
    binaries,
    config,
    integrityKey: keys.integrity.privateKey,
    logger,
    metrics,
  });
  const live = new LiveService(
    { paths, binaries, config, integrityKey: keys.integrity.privateKey, logger, metrics },
    (id) => videos.has(id),
  );
  await videos.init();
  await live.init();
  metrics.jobStates = () => videos.countByStatus();
  metrics.liveStates = () => live.countByStatus();
  const tokens = new ViewerTokens(keys.token, config.TOKEN_TTL_SEC);
  const app = buildApp({
    config,
    paths,
    videos,
    live,
    tokens,
    operatorKeys,
    publicKeyBase64Url: keys.integrity.publicKeyBase64Url,
    metrics,
    logger,
  });
  let closing: Promise<void> | null = null;
  return {
    app,
    binaries,
    videos,
    live,
    metrics,
    operatorKeys,
    publicKey: keys.integrity.publicKeyBase64Url,
    close: () => (closing ??= Promise.all([videos.close(), live.close()]).then(() => undefined)),
  };
}

/** OPERATOR_API_KEYS, or else the generated development key (its file is logged, not the key). */
async function resolveOperatorKeys(config: OriginConfig, logger: Logger): Promise<OperatorKeys> {
  if (config.OPERATOR_API_KEYS !== undefined) return new OperatorKeys(config.OPERATOR_API_KEYS);
  const generated = await loadOrCreateGeneratedKey(config.DATA_DIR);
  logger.warn('OPERATOR_API_KEYS is not set: the control API takes the generated key', {
    keyFile: generated.path,
    created: generated.created,
  });
  return new OperatorKeys([{ key: generated.key, scopes: new Set(OPERATOR_SCOPES) }]);
}
