import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const WRK_PATH = process.env.WRK_PATH ?? '/usr/bin/wrk';

export interface WrkResult {
  readonly requests: number;
  readonly bytes: number;
  readonly durationSec: number;
  /** Socket errors, timeouts and non-2xx/3xx answers. */
  readonly errors: number;
  readonly reqPerSec: number;
  readonly mbPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

/** A wrk script that cycles through `paths` and prints its summary as one JSON line. */
function script(paths: readonly string[]): string {
  return `local paths = { ${paths.map((p) => JSON.stringify(p)).join(', ')} }
local counter = 0
request = function()
  counter = counter % #paths + 1
  return wrk.format("GET", paths[counter])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('\\nRESULT {"requests":%d,"bytes":%d,"durationUs":%d,"errors":%d,"p50Us":%d,"p99Us":%d}\\n',
    summary.requests, summary.bytes, summary.duration,
    e.connect + e.read + e.write + e.status + e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
`;
}

export function runWrk(options: {
  baseUrl: string;
  paths: readonly string[];
  threads: number;
  connections: number;
  durationSec: number;
  tempDir: string;
}): Promise<WrkResult> {
  const scriptPath = join(
    options.tempDir,
    `wrk-${Date.now()}-${Math.random().toString(36).slice(2)}.lua`,
  );
  writeFileSync(scriptPath, script(options.paths));
  const args = [
    `-t${options.threads}`,
    `-c${options.connections}`,
    `-d${options.durationSec}s`,
    '--timeout',
    '10s',
    '-s',
    scriptPath,
    options.baseUrl,
  ];
  return new Promise((resolve, reject) => {
    execFile(WRK_PATH, args, { maxBuffer: 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) {
        reject(new Error(`wrk failed: ${error.message}\n${stderr}`));
        return;
      }
      const line = stdout.split('\n').find((l) => l.startsWith('RESULT '));
      if (line === undefined) {
        reject(new Error(`wrk printed no result:\n${stdout}\n${stderr}`));
        return;
      }
      const raw = JSON.parse(line.slice(7)) as {
        requests: number;
        bytes: number;
        durationUs: number;
        errors: number;
        p50Us: number;
        p99Us: number;
      };
      const durationSec = raw.durationUs / 1e6;
      resolve({
        requests: raw.requests,
        bytes: raw.bytes,
        durationSec,
        errors: raw.errors,
        reqPerSec: raw.requests / durationSec,
        mbPerSec: raw.bytes / durationSec / 1e6,
        p50Ms: raw.p50Us / 1000,
        p99Ms: raw.p99Us / 1000,
      });
    });
  });
}
