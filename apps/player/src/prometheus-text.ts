/**
 * Sum every sample of each named metric in a Prometheus text exposition, across label sets.
 * Only what the dashboard reads: `name{labels} value` lines; comments, other metrics and
 * values that are not finite numbers are skipped.
 */
export function sumMetrics(text: string, names: readonly string[]): Map<string, number> {
  const wanted = new Set(names);
  const sums = new Map<string, number>(names.map((name) => [name, 0]));
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const nameEnd = line.search(/[{\s]/);
    if (nameEnd <= 0) continue;
    const name = line.slice(0, nameEnd);
    if (!wanted.has(name)) continue;
    // The value follows the label set (whose values may hold spaces) or the name.
    const afterLabels = line[nameEnd] === '{' ? line.lastIndexOf('}') + 1 : nameEnd;
    if (afterLabels <= 0) continue;
    const value = Number(line.slice(afterLabels).trim().split(/\s+/)[0]);
    if (!Number.isFinite(value)) continue;
    sums.set(name, (sums.get(name) ?? 0) + value);
  }
  return sums;
}
