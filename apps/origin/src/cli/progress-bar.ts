/**
 * A one-line progress bar on a TTY (redrawn in place); elsewhere (CI logs, pipes) one line
 * per 10% step, so logs stay short.
 */
export class ProgressBar {
  private lastLabel = '';
  private lastStep = -1;

  constructor(
    private readonly out: NodeJS.WritableStream & { isTTY?: boolean; columns?: number },
    private readonly width = 30,
  ) {}

  update(label: string, fraction: number, detail = ''): void {
    const clamped = Math.max(0, Math.min(1, Number.isFinite(fraction) ? fraction : 0));
    const percent = `${Math.floor(clamped * 100)}`.padStart(3);
    const filled = Math.round(clamped * this.width);
    const bar = `[${'#'.repeat(filled)}${'.'.repeat(this.width - filled)}]`;
    const line = `${label.padEnd(10)} ${bar} ${percent}%${detail ? `  ${detail}` : ''}`;
    if (this.out.isTTY) {
      if (label !== this.lastLabel && this.lastLabel !== '') this.out.write('\n');
      this.out.write(`\r\x1b[2K${line}`);
    } else {
      const step = Math.floor(clamped * 10);
      if (label === this.lastLabel && step === this.lastStep) return;
      this.lastStep = step;
      this.out.write(`${line}\n`);
    }
    this.lastLabel = label;
  }

  /** End the line (TTY). */
  finish(): void {
    if (this.out.isTTY && this.lastLabel !== '') this.out.write('\n');
    this.lastLabel = '';
    this.lastStep = -1;
  }
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}
