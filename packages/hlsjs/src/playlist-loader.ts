import type {
  HlsConfig,
  Loader,
  LoaderCallbacks,
  LoaderConfiguration,
  LoaderContext,
  LoaderStats,
  PlaylistLoaderConstructor,
  PlaylistLoaderContext,
} from 'hls.js';
import { responseSizeBytes, type SegmentRouter } from './router.js';

/**
 * The `pLoader` class for `new Hls({ pLoader })`. Playlists always come from the CDN: they
 * are small, change under a live stream, and carry the URLs peers are matched on, so peers
 * never serve them. This loader hands every request to hls.js's own loader (`config.loader`,
 * with its timeouts and retries) and counts what arrived, so that Coral's CDN figures include
 * the playlist traffic.
 */
export function createPlaylistLoaderClass(router: SegmentRouter): PlaylistLoaderConstructor {
  return class CoralPlaylistLoader implements Loader<PlaylistLoaderContext> {
    private readonly inner: Loader<LoaderContext>;
    stats: LoaderStats;

    constructor(hlsConfig: HlsConfig) {
      this.inner = new hlsConfig.loader(hlsConfig);
      this.stats = this.inner.stats;
    }

    get context(): PlaylistLoaderContext | null {
      return this.inner.context as PlaylistLoaderContext | null;
    }

    load(
      context: PlaylistLoaderContext,
      config: LoaderConfiguration,
      callbacks: LoaderCallbacks<PlaylistLoaderContext>,
    ): void {
      const wrapped: LoaderCallbacks<PlaylistLoaderContext> = {
        ...callbacks,
        onSuccess: (response, stats, ctx, details) => {
          router.countPassthrough(responseSizeBytes(response.data));
          callbacks.onSuccess(response, stats, ctx, details);
        },
      };
      this.inner.load(context, config, wrapped as unknown as LoaderCallbacks<LoaderContext>);
    }

    abort(): void {
      this.inner.abort();
    }

    destroy(): void {
      this.inner.destroy();
    }

    getCacheAge(): number | null {
      return this.inner.getCacheAge?.() ?? null;
    }

    getResponseHeader(name: string): string | null {
      return this.inner.getResponseHeader?.(name) ?? null;
    }
  };
}
