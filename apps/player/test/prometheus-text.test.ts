import { describe, expect, it } from 'vitest';
import { sumMetrics } from '../src/prometheus-text.js';

describe('sumMetrics', () => {
  it('sums a metric over its label sets, skipping comments and other metrics', () => {
    const text = [
      '# HELP coral_tracker_messages_received_total Client messages by type',
      '# TYPE coral_tracker_messages_received_total counter',
      'coral_tracker_messages_received_total{type="join",service="tracker",node="a"} 3',
      'coral_tracker_messages_received_total{type="have",service="tracker",node="a"} 4.5',
      'coral_tracker_messages_received_totally 100',
      'coral_tracker_beacons_total{service="tracker"} 7 1700000000000',
      'coral_tracker_beacons_total 1',
      '',
    ].join('\n');
    const sums = sumMetrics(text, [
      'coral_tracker_messages_received_total',
      'coral_tracker_beacons_total',
      'coral_tracker_absent_total',
    ]);
    expect(sums.get('coral_tracker_messages_received_total')).toBe(7.5);
    expect(sums.get('coral_tracker_beacons_total')).toBe(8);
    expect(sums.get('coral_tracker_absent_total')).toBe(0);
  });

  it('reads the value after label values holding spaces and braces; skips NaN and Inf', () => {
    const text = [
      'x_total{path="/a b}",node="n"} 2',
      'x_total{node="c"} NaN',
      'x_total{node="d"} +Inf',
      'x_total{broken 5',
    ].join('\n');
    expect(sumMetrics(text, ['x_total']).get('x_total')).toBe(2);
  });
});
