import type Hls from 'hls.js';
import type { HlsConfig } from 'hls.js';
import type { CoralStream } from './stream.js';

/** The part of a Video.js tech a source handler uses. */
interface TechLike {
  el(): Element;
}

interface SourceObject {
  src: string;
  type?: string;
}

/** Video.js's source-handler contract (Html5 tech `registerSourceHandler`). */
export interface VideoJsSourceHandler {
  canPlayType(type: string): '' | 'maybe' | 'probably';
  canHandleSource(source: SourceObject): '' | 'maybe' | 'probably';
  handleSource(source: SourceObject, tech: TechLike): { dispose(): void };
}

export interface CoralSourceHandlerOptions {
  Hls: typeof Hls;
  /** The Coral stream for a playlist URL (null: plain hls.js for that source). */
  streamFor(src: string): CoralStream | null;
  hlsConfig?: Partial<HlsConfig>;
  /** Called with each hls.js instance the handler makes (the page's own listeners). */
  onHls?(hls: Hls): void;
}

const HLS_TYPE = /^(application\/x-mpegurl|application\/vnd\.apple\.mpegurl|audio\/mpegurl)$/i;

/**
 * A Video.js source handler that plays HLS sources with hls.js and Coral's loaders instead of
 * Video.js's own VHS. Register it first on the Html5 tech:
 * `videojs.getTech('Html5').registerSourceHandler(handler, 0)`. Sources of other types, and
 * HLS where hls.js cannot run (no MSE/ManagedMediaSource), fall through to the next handler
 * (VHS, or the browser's native HLS).
 */
export function createCoralSourceHandler(options: CoralSourceHandlerOptions): VideoJsSourceHandler {
  const canPlayType = (type: string) =>
    HLS_TYPE.test(type) && options.Hls.isSupported() ? ('probably' as const) : ('' as const);
  return {
    canPlayType,
    canHandleSource: (source) => canPlayType(source.type ?? ''),
    handleSource(source, tech) {
      const stream = options.streamFor(source.src);
      const hls = new options.Hls({
        ...options.hlsConfig,
        ...(stream?.integration.hlsConfig ?? {}),
      });
      stream?.attach(hls);
      options.onHls?.(hls);
      hls.attachMedia(tech.el() as HTMLMediaElement);
      hls.loadSource(source.src);
      return {
        dispose() {
          hls.destroy();
          stream?.destroy();
        },
      };
    },
  };
}
