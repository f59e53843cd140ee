/**
 * ffmpeg's `-progress` output: blocks of `key=value` lines, each ending with
 * `progress=continue` (or `progress=end` at the very end).
 */
export interface FfmpegProgress {
  /** Media time written so far, in seconds. */
  readonly outTimeSec: number;
  readonly frame: number | null;
  readonly speed: number | null;
  readonly end: boolean;
}

export class ProgressParser {
  private buffer = '';
  private block = new Map<string, string>();

  constructor(private readonly onProgress: (progress: FfmpegProgress) => void) {}

  push(chunk: string): void {
    this.buffer += chunk;
    let newline: number;
    while ((newline = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, newline).trim();
      this.buffer = this.buffer.slice(newline + 1);
      const eq = line.indexOf('=');
      if (eq <= 0) continue;
      const key = line.slice(0, eq).trim();
      const value = line.slice(eq + 1).trim();
      if (key !== 'progress') {
        this.block.set(key, value);
        continue;
      }
      this.onProgress(toProgress(this.block, value === 'end'));
      this.block = new Map();
    }
  }
}

function toProgress(block: ReadonlyMap<string, string>, end: boolean): FfmpegProgress {
  // out_time_us is microseconds; out_time_ms is (despite its name) also microseconds.
  const micros = Number(block.get('out_time_us') ?? block.get('out_time_ms'));
  const frame = Number(block.get('frame'));
  const speed = Number.parseFloat(block.get('speed') ?? '');
  return {
    outTimeSec: Number.isFinite(micros) && micros > 0 ? micros / 1e6 : 0,
    frame: Number.isFinite(frame) ? frame : null,
    speed: Number.isFinite(speed) ? speed : null,
    end,
  };
}
