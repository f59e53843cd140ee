import { describe, expect, it } from 'vitest';
import { CliError, parseCli } from '../src/cli-options.js';

describe('coral-sim flags', () => {
  it('builds the named scenario with the given audience and mix', () => {
    const options = parseCli([
      '--viewers',
      '2000',
      '--scenario',
      'live-churn',
      '--uplinks',
      'dsl-heavy',
    ]);
    expect(options.spec.scenario).toBe('live-churn');
    expect(options.spec.audience.viewers).toBe(2000);
    expect(options.spec.population.uplinks.name).toBe('dsl-heavy');
    expect(options.spec.byteScale).toBe(64);
    expect(options.spec.player.tickMs).toBe(100);
  });

  it('takes a coarser player tick only when asked', () => {
    expect(parseCli(['--player-tick-ms', '1000']).spec.player.tickMs).toBe(1000);
  });

  it('runs every viewer unless a cohort size is asked for', () => {
    expect(parseCli(['--viewers', '10000']).cohort).toBeNull();
    expect(parseCli(['--viewers', '10000', '--cohort-size', '250']).cohort).toEqual({
      cohortViewers: 250,
      cohorts: 1,
      stratified: true,
      standIns: true,
    });
    expect(
      parseCli(['--viewers', '10000', '--cohort-size', '250', '--cohorts', '2']).cohort,
    ).toEqual({ cohortViewers: 250, cohorts: 2, stratified: true, standIns: true });
    expect(
      parseCli(['--viewers', '10000', '--cohort-size', '250', '--cohort-no-stand-ins']).cohort
        ?.standIns,
    ).toBe(false);
    expect(
      parseCli(['--viewers', '10000', '--cohort-size', '250', '--cohort-unstratified']).cohort
        ?.stratified,
    ).toBe(false);
  });

  it('keeps the audience’s byte scale in cohort mode', () => {
    expect(parseCli(['--viewers', '10000', '--cohort-size', '150']).spec.byteScale).toBe(64);
  });

  it.each([
    [['--cohorts', '2'], /need --cohort-size/],
    [['--cohort-unstratified'], /need --cohort-size/],
    [['--cohort-no-stand-ins'], /need --cohort-size/],
    [['--viewers', '100', '--cohort-size', '200'], /exceed the audience of 100/],
    [['--cohort-size', '2.5'], /whole numbers/],
    [['--scenario', 'vod', '--cohort-size', '100'], /live scenarios/],
    [['--scenario', 'lab-live', '--viewers', '10', '--cohort-size', '5'], /lab scenarios/],
    [['--viewers', 'many'], /--viewers must be a number/],
    [['--viewers', '2.5'], /--viewers must be a whole number/],
    [['--scenario', 'nope'], /unknown scenario "nope"/],
    [['--uplinks', 'fibre'], /unknown uplink mix "fibre"/],
    [['--renditions', '4k'], /unknown rendition "4k"/],
    [['--byte-scale', '0'], /--byte-scale must be a number in 1\.\.1024/],
    [['--player-tick-ms', '5'], /--player-tick-ms must be a number in 10\.\.5000/],
    [['--frobnicate'], /Unknown option '--frobnicate'/],
  ])('refuses %j with a message naming it', (argv, message) => {
    expect(() => parseCli(argv)).toThrow(CliError);
    expect(() => parseCli(argv)).toThrow(message);
  });
});
