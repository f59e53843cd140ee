import { describe, expect, it } from 'vitest';
import { flagsToArgs, parseSwarmOptions, SwarmOptionsError } from '../src/swarm/options.js';
import { estimatePlanSec, planRuns, runLabel } from '../src/swarm/report.js';

describe('swarm benchmark flags', () => {
  it('defaults to the stated swarm: LIVE and VOD, 6 browsers, a werift fleet, both deliveries', () => {
    const options = parseSwarmOptions({});
    expect(options).toMatchObject({
      scenarios: ['live', 'vod'],
      browsers: 6,
      deliveries: ['p2p', 'cdn'],
      liveJoinMs: 2_000,
      vodJoinMs: 10_000,
      quick: false,
    });
    expect(options.peers.length).toBeGreaterThan(0);
    expect(Math.min(...options.peers)).toBeGreaterThan(options.browsers);
  });

  it('reads flags as the bench runner passes them (lower case, underscores)', () => {
    const options = parseSwarmOptions({
      browsers: '4',
      peers: '40,10,10',
      scenarios: 'live',
      deliveries: 'p2p',
      window_sec: '45',
      live_join_sec: '1.5',
      peer_live_join_ms: '250',
    });
    expect(options).toMatchObject({
      browsers: 4,
      peers: [10, 40],
      scenarios: ['live'],
      deliveries: ['p2p'],
      windowSec: 45,
      liveJoinMs: 1_500,
      peerLiveJoinMs: 250,
    });
    expect(parseSwarmOptions({ peers: '0' }).peers).toEqual([]);
    // Diagnostics are off unless asked for.
    expect(parseSwarmOptions({}).diagnose).toBe(false);
    expect(parseSwarmOptions({ diagnose: 'true' }).diagnose).toBe(true);
    expect(() => parseSwarmOptions({ diagnose: 'yes' })).toThrow(SwarmOptionsError);
    expect(parseSwarmOptions({ out: 'swarm-live-only' }).out).toBe('swarm-live-only');
    expect(parseSwarmOptions({ rounds: '3' }).rounds).toBe(3);
    expect(parseSwarmOptions({ joiners: '0' }).joiners).toBe(0);
  });

  it('makes --quick smaller and lets other flags override it', () => {
    const quick = parseSwarmOptions({ quick: 'true' });
    const full = parseSwarmOptions({});
    expect(quick.quick).toBe(true);
    expect(quick.out).toBe('swarm-quick');
    expect(quick.browsers).toBeLessThan(full.browsers);
    expect(quick.windowSec).toBeLessThan(full.windowSec);
    expect(parseSwarmOptions({ quick: 'true', browsers: '5' }).browsers).toBe(5);
  });

  it('refuses bad values and unknown flags, naming the flag', () => {
    const bad: Array<[Record<string, string>, RegExp]> = [
      [{ browsers: 'six' }, /--browsers must be a number/],
      [{ browsers: '2.5' }, /--browsers must be an integer/],
      [{ browsers: '1' }, /--browsers must be 0 or at least 2/],
      [{ peers: '1' }, /--peers must be a number in 2\.\.1000/],
      [{ scenarios: 'live,sport' }, /--scenarios takes live,vod/],
      [{ deliveries: '' }, /--deliveries takes p2p,cdn/],
      [{ rounds: '0' }, /--rounds must be a number in 1\.\.10/],
      [{ joiners: '-1' }, /--joiners must be a number in 0\.\.20/],
      [{ window_sec: '2' }, /--window-sec must be a number in 5\.\.3600/],
      [{ quick: 'yes' }, /--quick takes no value/],
      [{ browsers: '0', peers: '0' }, /nothing to run/],
      [{ out: '../etc/passwd' }, /--out takes a file name/],
      [{ viewers: '6' }, /unknown flag --viewers[\s\S]*--browsers N/],
    ];
    for (const [flags, message] of bad) {
      expect(() => parseSwarmOptions(flags)).toThrow(SwarmOptionsError);
      expect(() => parseSwarmOptions(flags)).toThrow(message);
    }
  });

  it('turns flags back into arguments that parse to the same options', () => {
    const flags = { quick: 'true', peers: '12,30', window_sec: '25' };
    const args = flagsToArgs(flags);
    expect(args).toEqual(['--quick=true', '--peers=12,30', '--window-sec=25']);
    const reparsed = Object.fromEntries(
      args.map((arg) => {
        const [key, value] = arg.slice(2).split('=') as [string, string];
        return [key.replace(/-/g, '_'), value];
      }),
    );
    expect(parseSwarmOptions(reparsed)).toEqual(parseSwarmOptions(flags));
  });
});

describe('swarm run plan', () => {
  it('pairs every P2P run with its CDN-only baseline, alternating which goes first, browser pairs in rounds', () => {
    const plan = planRuns(parseSwarmOptions({ browsers: '6', peers: '20' }));
    expect(plan.map(runLabel)).toEqual([
      'LIVE 6 browsers P2P #1',
      'LIVE 6 browsers CDN-only #1',
      'LIVE 6 browsers CDN-only #2',
      'LIVE 6 browsers P2P #2',
      'LIVE 20 werift P2P',
      'LIVE 20 werift CDN-only',
      'VOD 6 browsers CDN-only #1',
      'VOD 6 browsers P2P #1',
      'VOD 6 browsers P2P #2',
      'VOD 6 browsers CDN-only #2',
      'VOD 20 werift CDN-only',
      'VOD 20 werift P2P',
    ]);
    expect(plan[0]!.joinIntervalMs).toBe(2_000);
    expect(plan[6]!.joinIntervalMs).toBe(10_000);
    const once = planRuns(parseSwarmOptions({ peers: '0', scenarios: 'live', rounds: '1' }));
    expect(once.map(runLabel)).toEqual(['LIVE 6 browsers P2P', 'LIVE 6 browsers CDN-only']);
  });

  it('can start with the CDN-only run, to check for order effects', () => {
    const plan = planRuns(
      parseSwarmOptions({ peers: '0', scenarios: 'live', cdn_first: 'true', rounds: '1' }),
    );
    expect(plan.map(runLabel)).toEqual(['LIVE 6 browsers CDN-only', 'LIVE 6 browsers P2P']);
  });

  it('runs only the deliveries asked for', () => {
    const plan = planRuns(
      parseSwarmOptions({ browsers: '0', peers: '10,20', scenarios: 'vod', deliveries: 'p2p' }),
    );
    expect(plan.map(runLabel)).toEqual(['VOD 10 werift P2P', 'VOD 20 werift P2P']);
  });

  it('keeps the default run within about 16 minutes, and --quick within six minutes', () => {
    const options = parseSwarmOptions({});
    expect(estimatePlanSec(options, planRuns(options))).toBeLessThanOrEqual(960);
    const quick = parseSwarmOptions({ quick: 'true' });
    expect(estimatePlanSec(quick, planRuns(quick))).toBeLessThanOrEqual(360);
  });
});
