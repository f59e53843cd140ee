/**
 * The lab's topology as data: which namespaces, links, addresses, NAT and shaping rules a lab
 * spec needs, as argv lists. Pure, so the shape is testable without root; lab.ts runs them.
 *
 *   current namespace (services, coturn) ── veth ──┐
 *                                         wan: br0 (public /24, no route out)
 *                    router K (NAT, caps, loss, delay) ── home K host (192.168.K.10)
 */

export type NatKind = 'cone' | 'symmetric' | 'udp-blocked';

export interface HomeSpec {
  nat: NatKind;
  /** Uplink cap (home → internet), Mbit/s; unset: uncapped. */
  upMbit?: number;
  /** Downlink cap (internet → home), Mbit/s; unset: uncapped. */
  downMbit?: number;
  /** Random loss in each direction, 0..1. */
  lossRate?: number;
  /** One-way delay added by the access link in each direction, ms (RTT to a service: 2×). */
  delayMs?: number;
  /** Uniform jitter on that delay, ± ms (packets keep their order). */
  jitterMs?: number;
}

export interface LabSpec {
  runId: string;
  /** Third octet of the public 198.18.X.0/24 (the benchmarking range, RFC 2544). */
  publicOctet: number;
  homes: HomeSpec[];
}

export interface HomeAddresses {
  index: number;
  routerNs: string;
  hostNs: string;
  /** The router's public address: what the internet sees of this home. */
  publicIp: string;
  hostIp: string;
}

export interface LabAddresses {
  wanNs: string;
  /** The public address of the namespace that made the lab (where services listen). */
  servicesIp: string;
  publicPrefix: string;
  /** The veth end left in the current namespace. */
  controllerLink: string;
  homes: HomeAddresses[];
}

export type Argv = string[];

export const NETNS_PREFIX = 'coral-lab-';

export function namespacePrefix(runId: string): string {
  return `${NETNS_PREFIX}${runId}-`;
}

export function validateSpec(spec: LabSpec): void {
  if (!/^[a-z0-9]{1,8}$/.test(spec.runId))
    throw new RangeError(`run id "${spec.runId}": 1-8 lower-case letters or digits`);
  if (!Number.isInteger(spec.publicOctet) || spec.publicOctet < 0 || spec.publicOctet > 255)
    throw new RangeError(`publicOctet ${spec.publicOctet}: an integer 0-255`);
  if (spec.homes.length < 1 || spec.homes.length > 150)
    throw new RangeError(`${spec.homes.length} homes: 1-150 per lab`);
  spec.homes.forEach((home, i) => {
    const where = `home ${i + 1}`;
    if (!['cone', 'symmetric', 'udp-blocked'].includes(home.nat))
      throw new RangeError(`${where}: nat "${String(home.nat)}" is not cone|symmetric|udp-blocked`);
    for (const key of ['upMbit', 'downMbit'] as const) {
      const value = home[key];
      if (value !== undefined && !(value > 0 && value <= 10_000))
        throw new RangeError(`${where}: ${key} ${value} is not in (0, 10000]`);
    }
    if (home.lossRate !== undefined && !(home.lossRate >= 0 && home.lossRate < 1))
      throw new RangeError(`${where}: lossRate ${home.lossRate} is not in [0, 1)`);
    for (const key of ['delayMs', 'jitterMs'] as const) {
      const value = home[key];
      if (value !== undefined && !(value >= 0 && value <= 5000))
        throw new RangeError(`${where}: ${key} ${value} is not in [0, 5000]`);
    }
    if ((home.jitterMs ?? 0) > (home.delayMs ?? 0))
      throw new RangeError(`${where}: jitterMs exceeds delayMs`);
  });
}

export function addressesOf(spec: LabSpec): LabAddresses {
  const prefix = namespacePrefix(spec.runId);
  const publicPrefix = `198.18.${spec.publicOctet}`;
  return {
    wanNs: `${prefix}wan`,
    servicesIp: `${publicPrefix}.2`,
    publicPrefix,
    controllerLink: `cl${spec.runId}`,
    homes: spec.homes.map((_, i) => ({
      index: i + 1,
      routerNs: `${prefix}r${i + 1}`,
      hostNs: `${prefix}h${i + 1}`,
      publicIp: `${publicPrefix}.${100 + i + 1}`,
      hostIp: `192.168.${i + 1}.10`,
    })),
  };
}

const inNs = (ns: string, ...argv: string[]): Argv => ['ip', 'netns', 'exec', ns, ...argv];
const sysctl = (ns: string, key: string, value: string): Argv =>
  inNs(ns, 'sysctl', '-qw', `${key}=${value}`);

function namespaceBase(ns: string): Argv[] {
  return [
    ['ip', 'netns', 'add', ns],
    ['ip', '-n', ns, 'link', 'set', 'lo', 'up'],
    sysctl(ns, 'net.ipv6.conf.all.disable_ipv6', '1'),
    sysctl(ns, 'net.ipv6.conf.default.disable_ipv6', '1'),
  ];
}

/** The public bridge, and the current namespace's veth onto it at `servicesIp`. */
export function wanCommands(spec: LabSpec): Argv[] {
  const a = addressesOf(spec);
  return [
    ...namespaceBase(a.wanNs),
    ['ip', '-n', a.wanNs, 'link', 'add', 'br0', 'type', 'bridge'],
    ['ip', '-n', a.wanNs, 'addr', 'add', `${a.publicPrefix}.1/24`, 'dev', 'br0'],
    ['ip', '-n', a.wanNs, 'link', 'set', 'br0', 'up'],
    ['ip', 'link', 'add', a.controllerLink, 'type', 'veth', 'peer', 'name', 'c0', 'netns', a.wanNs],
    ['ip', '-n', a.wanNs, 'link', 'set', 'c0', 'master', 'br0', 'up'],
    ['ip', 'addr', 'add', `${a.servicesIp}/24`, 'dev', a.controllerLink],
    ['ip', 'link', 'set', a.controllerLink, 'up'],
  ];
}

/** Router and host namespaces, their links, NAT and firewall (shaping is `shapingCommands`). */
export function homeCommands(spec: LabSpec, index: number): Argv[] {
  const a = addressesOf(spec);
  const home = spec.homes[index - 1];
  const h = a.homes[index - 1];
  if (!home || !h) throw new RangeError(`no home ${index}`);
  const r = h.routerNs;
  const ipt = (...rule: string[]): Argv => inNs(r, 'iptables', '-w', ...rule);
  return [
    ...namespaceBase(r),
    ...namespaceBase(h.hostNs),
    sysctl(r, 'net.ipv4.ip_forward', '1'),
    [
      'ip',
      '-n',
      a.wanNs,
      'link',
      'add',
      `r${index}`,
      'type',
      'veth',
      'peer',
      'name',
      'wan0',
      'netns',
      r,
    ],
    ['ip', '-n', a.wanNs, 'link', 'set', `r${index}`, 'master', 'br0', 'up'],
    ['ip', '-n', r, 'addr', 'add', `${h.publicIp}/24`, 'dev', 'wan0'],
    ['ip', '-n', r, 'link', 'set', 'wan0', 'up'],
    [
      'ip',
      '-n',
      r,
      'link',
      'add',
      'lan0',
      'type',
      'veth',
      'peer',
      'name',
      'eth0',
      'netns',
      h.hostNs,
    ],
    ['ip', '-n', r, 'addr', 'add', `192.168.${index}.1/24`, 'dev', 'lan0'],
    ['ip', '-n', r, 'link', 'set', 'lan0', 'up'],
    ['ip', '-n', h.hostNs, 'addr', 'add', `${h.hostIp}/24`, 'dev', 'eth0'],
    ['ip', '-n', h.hostNs, 'link', 'set', 'eth0', 'up'],
    ['ip', '-n', h.hostNs, 'route', 'add', 'default', 'via', `192.168.${index}.1`],
    // Endpoint-independent mapping, port-preserving; --random-fully: a new port per destination.
    ipt(
      '-t',
      'nat',
      '-A',
      'POSTROUTING',
      '-o',
      'wan0',
      '-j',
      'MASQUERADE',
      ...(home.nat === 'symmetric' ? ['--random-fully'] : []),
    ),
    // A home router drops what nobody inside asked for. Without this a peer's first check makes
    // a conntrack entry, and the NAT then maps the home's own check to another port.
    ipt('-A', 'INPUT', '-i', 'lo', '-j', 'ACCEPT'),
    ipt('-A', 'INPUT', '-m', 'conntrack', '--ctstate', 'ESTABLISHED,RELATED', '-j', 'ACCEPT'),
    ipt('-A', 'INPUT', '-i', 'lan0', '-j', 'ACCEPT'),
    ipt('-A', 'INPUT', '-i', 'wan0', '-j', 'DROP'),
    ...(home.nat === 'udp-blocked' ? [ipt('-A', 'FORWARD', '-p', 'udp', '-j', 'DROP')] : []),
    ipt('-A', 'FORWARD', '-i', 'wan0', '-m', 'conntrack', '--ctstate', 'NEW', '-j', 'DROP'),
  ];
}

const htb = (ns: string, dev: string, mbit: number): Argv[] => {
  const rate = `${Math.round(mbit * 1000)}kbit`;
  return [
    [
      'tc',
      '-n',
      ns,
      'qdisc',
      'replace',
      'dev',
      dev,
      'root',
      'handle',
      '1:',
      'htb',
      'default',
      '10',
    ],
    [
      'tc',
      '-n',
      ns,
      'class',
      'replace',
      'dev',
      dev,
      'parent',
      '1:',
      'classid',
      '1:10',
      'htb',
      'rate',
      rate,
      'ceil',
      rate,
      'quantum',
      '1514',
    ],
    // A short FIFO: a home router's buffer, not an unbounded one that turns caps into delay.
    [
      'tc',
      '-n',
      ns,
      'qdisc',
      'replace',
      'dev',
      dev,
      'parent',
      '1:10',
      'handle',
      '10:',
      'pfifo',
      'limit',
      '100',
    ],
  ];
};

/** NFQUEUE numbers the delay program binds in each router. */
export const DOWNLINK_QUEUE = 0;
export const UPLINK_QUEUE = 1;

/**
 * Caps (HTB on the router's egress each way), loss (the `statistic` match) and the NFQUEUE
 * rules the delay program serves. Loss rules come first: after an NFQUEUE verdict the rest of
 * the chain is skipped.
 */
export function shapingCommands(spec: LabSpec, index: number): Argv[] {
  const home = spec.homes[index - 1];
  const h = addressesOf(spec).homes[index - 1];
  if (!home || !h) throw new RangeError(`no home ${index}`);
  const r = h.routerNs;
  const mangle = (...rule: string[]): Argv =>
    inNs(r, 'iptables', '-w', '-t', 'mangle', '-A', 'FORWARD', ...rule);
  const commands: Argv[] = [];
  if (home.upMbit !== undefined) commands.push(...htb(r, 'wan0', home.upMbit));
  if (home.downMbit !== undefined) commands.push(...htb(r, 'lan0', home.downMbit));
  if (home.lossRate) {
    const p = home.lossRate.toFixed(6);
    commands.push(
      mangle('-i', 'wan0', '-m', 'statistic', '--mode', 'random', '--probability', p, '-j', 'DROP'),
    );
    commands.push(
      mangle('-o', 'wan0', '-m', 'statistic', '--mode', 'random', '--probability', p, '-j', 'DROP'),
    );
  }
  if (home.delayMs) {
    commands.push(
      mangle(
        '-i',
        'wan0',
        '-j',
        'NFQUEUE',
        '--queue-num',
        String(DOWNLINK_QUEUE),
        '--queue-bypass',
      ),
    );
    commands.push(
      mangle('-o', 'wan0', '-j', 'NFQUEUE', '--queue-num', String(UPLINK_QUEUE), '--queue-bypass'),
    );
  }
  return commands;
}
