/**
 * The network a client address belongs to, as one key: an IPv4 /24 (`v4:203.0.113`) or an
 * IPv6 /48 (`v6:2001:db8:1`). Addresses in one such block usually belong to one operator, so
 * rules that must not be multiplied by renting addresses (reports, live fetcher seats) count
 * blocks, not addresses. An IPv4-mapped IPv6 address counts as its IPv4; anything
 * unparseable is its own group.
 */
export function addressGroup(address: string): string {
  const text = address.trim().toLowerCase();
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  const v4 = mapped ? mapped[1]! : text;
  const octets = v4.split('.');
  if (octets.length === 4 && octets.every((o) => /^\d{1,3}$/.test(o) && Number(o) <= 255)) {
    return `v4:${octets.slice(0, 3).map(Number).join('.')}`;
  }
  const hextets = expandIpv6(text);
  return hextets ? `v6:${hextets.slice(0, 3).join(':')}` : `other:${text}`;
}

/** The eight hextets of an IPv6 address (without zone), normalised; null when not one. */
function expandIpv6(text: string): string[] | null {
  const address = text.split('%')[0]!;
  if (!address.includes(':')) return null;
  const halves = address.split('::');
  if (halves.length > 2) return null;
  const parse = (part: string) => (part === '' ? [] : part.split(':'));
  const head = parse(halves[0]!);
  const tail = halves.length === 2 ? parse(halves[1]!) : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return null;
  const all = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...tail];
  if (!all.every((h) => /^[0-9a-f]{1,4}$/.test(h))) return null;
  return all.map((h) => h.replace(/^0+(?=.)/, ''));
}
