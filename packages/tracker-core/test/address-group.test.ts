import { describe, expect, it } from 'vitest';
import { addressGroup } from '../src/address-group.js';

describe('addressGroup', () => {
  it.each([
    ['203.0.113.7', 'v4:203.0.113'],
    ['203.0.113.250', 'v4:203.0.113'],
    ['203.0.114.7', 'v4:203.0.114'],
    ['::ffff:203.0.113.9', 'v4:203.0.113'],
    ['010.001.002.003', 'v4:10.1.2'],
    ['2001:db8:1:2::7', 'v6:2001:db8:1'],
    ['2001:0db8:0001:ffff::1', 'v6:2001:db8:1'],
    ['2001:db8::1', 'v6:2001:db8:0'],
    ['::1', 'v6:0:0:0'],
    ['fe80::1%eth0', 'v6:fe80:0:0'],
    ['1:2:3:4:5:6:7:8', 'v6:1:2:3'],
  ])('puts %s in %s', (address, group) => {
    expect(addressGroup(address)).toBe(group);
  });

  it.each(['256.1.1.1', '1.2.3', 'not-an-address', '1::2::3', '1:2:3:4:5:6:7:8:9', '12345::1', ''])(
    'keeps %j as a group of its own',
    (address) => {
      expect(addressGroup(address)).toBe(`other:${address}`);
    },
  );
});
