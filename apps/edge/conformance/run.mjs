#!/usr/bin/env node
// Runs the HTTP caching conformance suite (http-tests/cache-tests, vendored in ./cache-tests
// with its BSD-3 licence) against a real edge process and prints the tally.
//
//   npm run build -w apps/edge && npm run conformance -w apps/edge [-- --json out.json] [-- --id test-id]
//
// Topology, all on 127.0.0.1: the suite's server is the edge's origin; the suite's client talks
// to a small router that sends its set-up requests (`PUT /config/<id>`, `GET /state/<id>`)
// straight to the suite's server, as the suite allows for proxies, and everything else to the
// edge. The edge runs as a real process with its defaults, except EDGE_WORKERS=1 and
// ORIGIN_RETRIES=0 unless set.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer, request as httpRequest } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));
const suiteDir = join(here, 'cache-tests');
const { values: flags } = parseArgs({
  options: { json: { type: 'string' }, id: { type: 'string', default: '' } },
});

const { default: handleConfig } = await import(
  join(suiteDir, 'test-engine/server/handle-config.mjs')
);
const { default: handleTest } = await import(join(suiteDir, 'test-engine/server/handle-test.mjs'));
const { default: handleState } = await import(
  join(suiteDir, 'test-engine/server/handle-state.mjs')
);
const { determineTestResult, resultTypes } = await import(
  join(suiteDir, 'test-engine/lib/results.mjs')
);
const { default: suites } = await import(join(suiteDir, 'tests/index.mjs'));

/** @param {import('node:http').Server} server */
function listenLoopback(server) {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${server.address().port}`)),
  );
}

// The suite's server, bound to loopback (its own launcher binds every interface).
const suiteServer = createServer((req, res) => {
  const segments = new URL(req.url ?? '/', 'http://x').pathname.split('/').slice(1);
  const dispatch = segments.shift();
  if (dispatch === 'config') handleConfig(segments, req, res);
  else if (dispatch === 'test') handleTest(segments, req, res);
  else if (dispatch === 'state') handleState(segments, req, res);
  else {
    res.writeHead(404);
    res.end();
  }
});
const suiteUrl = await listenLoopback(suiteServer);

// A free port for the edge.
const probe = createServer();
const edgePort = Number(new URL(await listenLoopback(probe)).port);
await new Promise((resolve) => probe.close(resolve));

const edge = spawn(process.execPath, [join(here, '..', 'dist', 'main.js')], {
  env: {
    ...process.env,
    PORT: String(edgePort),
    HOST: '127.0.0.1',
    ORIGIN_URL: suiteUrl,
    EDGE_REGION: 'conformance',
    LOG_LEVEL: 'error',
    EDGE_WORKERS: process.env.EDGE_WORKERS ?? '1',
    // The suite counts a retried request as a failure (it reads them as duplicates), and it
    // sends 5xx responses on purpose: no retries here.
    ORIGIN_RETRIES: process.env.ORIGIN_RETRIES ?? '0',
  },
  stdio: ['ignore', 'inherit', 'inherit'],
});
const edgeUrl = `http://127.0.0.1:${edgePort}`;
for (let i = 0; ; i++) {
  const ready = await fetch(`${edgeUrl}/healthz`).then(
    (r) => r.ok,
    () => false,
  );
  if (ready) break;
  if (i > 200 || edge.exitCode !== null) throw new Error('the edge did not start');
  await new Promise((resolve) => setTimeout(resolve, 50));
}

const router = createServer((req, res) => {
  const direct = /^\/(config|state)\//.test(req.url ?? '');
  const target = new URL(req.url ?? '/', direct ? suiteUrl : edgeUrl);
  const upstream = httpRequest(
    target,
    { method: req.method, headers: req.headers, agent: false },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.rawHeaders);
      answer.pipe(res);
    },
  );
  upstream.on('error', () => res.destroy());
  req.pipe(upstream);
});
const routerUrl = await listenLoopback(router);

const client = spawn(process.execPath, ['--no-warnings', join(suiteDir, 'test-engine/cli.mjs')], {
  env: { ...process.env, npm_config_base: routerUrl, npm_package_config_id: flags.id },
  stdio: ['ignore', 'pipe', 'inherit'],
});
let output = '';
client.stdout.on('data', (chunk) => (output += chunk));
const exitCode = await new Promise((resolve) => client.on('close', resolve));

edge.kill('SIGTERM');
router.close();
suiteServer.close();
if (exitCode !== 0) {
  process.stderr.write(output);
  process.exit(1);
}
if (flags.id !== '') {
  process.stdout.write(output);
  process.exit(0);
}
const results = JSON.parse(output);

const tally = {
  required: { pass: 0, fail: 0 },
  optimal: { pass: 0, fail: 0 },
  check: { yes: 0, no: 0 },
  other: {},
};
const failures = [];
for (const suite of suites) {
  for (const test of suite.tests) {
    const kind = test.kind ?? 'required';
    const verdict = determineTestResult(suites, test.id, results);
    if (verdict === resultTypes.pass)
      tally[kind === 'check' ? 'check' : kind][kind === 'check' ? 'yes' : 'pass']++;
    else if (verdict === resultTypes.yes) tally.check.yes++;
    else if (verdict === resultTypes.no) tally.check.no++;
    else if (verdict === resultTypes.fail) tally.required.fail++;
    else if (verdict === resultTypes.optional_fail) tally.optimal.fail++;
    else {
      const name = Object.entries(resultTypes).find(([, type]) => type === verdict)?.[0] ?? '?';
      tally.other[name] = (tally.other[name] ?? 0) + 1;
    }
    if (kind === 'required' && verdict !== resultTypes.pass) {
      const detail = results[test.id];
      failures.push({
        id: test.id,
        verdict: Object.entries(resultTypes).find(([, type]) => type === verdict)?.[0],
        detail: Array.isArray(detail) ? detail.join(': ') : String(detail),
      });
    }
  }
}
for (const failure of failures) {
  process.stdout.write(`${failure.id} [${failure.verdict}] ${failure.detail}\n`);
}
process.stdout.write(
  `\nrequired: ${tally.required.pass} passed, ${failures.length} not passed` +
    ` (${tally.required.fail} failed, others: ${JSON.stringify(tally.other)}); ` +
    `optimal: ${tally.optimal.pass} passed, ${tally.optimal.fail} failed; ` +
    `check: ${tally.check.yes} yes, ${tally.check.no} no\n`,
);
if (flags.json !== undefined) {
  writeFileSync(flags.json, JSON.stringify({ tally, failures, results }, null, 2));
}
