import { describe, expect, it } from 'vitest';
import { banThreshold, judgeReport, type ReportFacts, type ReportPolicy } from '../src/reports.js';

const facts = (overrides: Partial<ReportFacts> = {}): ReportFacts => ({
  reporterPeerId: 'peer-a',
  reporterViewerId: 'viewer-a',
  targetPeerId: 'peer-b',
  targetViewerId: 'viewer-b',
  reason: 'integrity',
  relayed: true,
  reporterJoinedAtMs: 0,
  nowMs: 60_000,
  ...overrides,
});
const policy: ReportPolicy = { minReporterTenureMs: 30_000, requireRelayed: true };

describe('judgeReport', () => {
  it('counts an integrity report from another viewer that was relayed and has tenure', () => {
    expect(judgeReport(facts(), policy)).toEqual({ exclude: true, count: true, why: 'counted' });
  });

  it.each([
    ['self', facts({ targetPeerId: 'peer-a' }), false],
    ['not-integrity', facts({ reason: 'timeout' }), true],
    ['target-gone', facts({ targetViewerId: null }), true],
    ['no-viewer', facts({ reporterViewerId: null }), true],
    ['same-viewer', facts({ targetViewerId: 'viewer-a' }), true],
    ['not-relayed', facts({ relayed: false }), true],
    ['too-new', facts({ reporterJoinedAtMs: 30_001 }), true],
  ] as const)('does not count a %s report', (why, input, exclude) => {
    expect(judgeReport(input, policy)).toEqual({ exclude, count: false, why });
  });

  it('counts at exactly the minimum tenure, and without relay when the policy allows it', () => {
    expect(judgeReport(facts({ reporterJoinedAtMs: 30_000 }), policy).count).toBe(true);
    const open = { minReporterTenureMs: 0, requireRelayed: false };
    expect(judgeReport(facts({ relayed: false, reporterJoinedAtMs: 60_000 }), open).count).toBe(
      true,
    );
  });
});

describe('banThreshold', () => {
  it('is the minimum in small rooms and a share of large ones', () => {
    const policy = { minReporters: 3, roomShare: 0.1 };
    expect(banThreshold(policy, 5)).toBe(3);
    expect(banThreshold(policy, 30)).toBe(3);
    expect(banThreshold(policy, 31)).toBe(4);
    expect(banThreshold(policy, 200)).toBe(20);
    expect(banThreshold({ minReporters: 2, roomShare: 0 }, 10_000)).toBe(2);
  });
});
