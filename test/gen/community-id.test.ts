import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';

import { communityId, ICMP4_COUNTERPART, ICMP6_COUNTERPART, icmpPortEquivalents } from './community-id.js';

// Test vectors of the reference implementation (corelight/pycommunityid
// tests/communityid_test.py): [src, dst, sport|type, dport|code, seed 0, seed 1].
const VECTORS: Array<[number, string, string, number, number, string, string]> = [
  [6, '128.232.110.120', '66.35.250.204', 34855, 80, '1:LQU9qZlK+B5F3KDmev6m5PMibrg=', '1:3V71V58M3Ksw/yuFALMcW0LAHvc='],
  [6, '66.35.250.204', '128.232.110.120', 80, 34855, '1:LQU9qZlK+B5F3KDmev6m5PMibrg=', '1:3V71V58M3Ksw/yuFALMcW0LAHvc='],
  [6, '10.0.0.1', '10.0.0.2', 10, 11569, '1:SXBGMX1lBOwhhoDrZynfROxnhnM=', '1:HmBRGR+fUyXF4t8WEtal7Y0gEAo='],
  [17, '192.168.1.52', '8.8.8.8', 54585, 53, '1:d/FP5EW3wiY1vCndhwleRRKHowQ=', '1:Q9We8WO3piVF8yEQBNJF4uiSVrI='],
  [17, '8.8.8.8', '192.168.1.52', 53, 54585, '1:d/FP5EW3wiY1vCndhwleRRKHowQ=', '1:Q9We8WO3piVF8yEQBNJF4uiSVrI='],
  [132, '192.168.170.8', '192.168.170.56', 7, 80, '1:jQgCxbku+pNGw8WPbEc/TS/uTpQ=', '1:Y1/0jQg6e+I3ZwZZ9LP65DNbTXU='],
  [1, '192.168.0.89', '192.168.0.1', 8, 0, '1:X0snYXpgwiv9TZtqg64sgzUn6Dk=', '1:03g6IloqVBdcZlPyX8r0hgoE7kA='],
  [1, '192.168.0.1', '192.168.0.89', 0, 8, '1:X0snYXpgwiv9TZtqg64sgzUn6Dk=', '1:03g6IloqVBdcZlPyX8r0hgoE7kA='],
  [1, '192.168.0.89', '192.168.0.1', 20, 0, '1:3o2RFccXzUgjl7zDpqmY7yJi8rI=', '1:lCXHHxavE1Vq3oX9NH5ladQg02o='],
  [1, '192.168.0.89', '192.168.0.1', 20, 1, '1:tz/fHIDUHs19NkixVVoOZywde+I=', '1:Ie3wmFyxiEyikbsbcO03d2nh+PM='],
  [1, '192.168.0.1', '192.168.0.89', 0, 20, '1:X0snYXpgwiv9TZtqg64sgzUn6Dk=', '1:03g6IloqVBdcZlPyX8r0hgoE7kA='],
  [58, 'fe80::200:86ff:fe05:80da', 'fe80::260:97ff:fe07:69ea', 135, 0, '1:dGHyGvjMfljg6Bppwm3bg0LO8TY=', '1:kHa1FhMYIT6Ym2Vm2AOtoOARDzY='],
  [58, 'fe80::260:97ff:fe07:69ea', 'fe80::200:86ff:fe05:80da', 136, 0, '1:dGHyGvjMfljg6Bppwm3bg0LO8TY=', '1:kHa1FhMYIT6Ym2Vm2AOtoOARDzY='],
  [58, '3ffe:507:0:1:260:97ff:fe07:69ea', '3ffe:507:0:1:200:86ff:fe05:80da', 3, 0, '1:NdobDX8PQNJbAyfkWxhtL2Pqp5w=', '1:OlOWx9psIbBFi7lOCw/4MhlKR9M='],
  [58, '3ffe:507:0:1:200:86ff:fe05:80da', '3ffe:507:0:1:260:97ff:fe07:69ea', 3, 0, '1:/OGBt9BN1ofenrmSPWYicpij2Vc=', '1:Ij4ZxnC87/MXzhOjvH2vHu7LRmE='],
  [46, '10.1.24.4', '10.1.12.1', 0, 0, '1:/nQI4Rh/TtY3mf0R2gJFBkVlgS4=', '1:BK3BVW3U2eemuwVQVN3zd/GULno='],
];

describe('communityId', () => {
  it.each(VECTORS)('proto %i %s -> %s (%i, %i)', (proto, src, dst, sport, dport, seed0, seed1) => {
    expect(communityId({ src, dst, proto, srcPort: sport, dstPort: dport })).toBe(seed0);
    expect(communityId({ src, dst, proto, srcPort: sport, dstPort: dport }, 1)).toBe(seed1);
  });

  it('takes record ports (port equivalents) as they are', () => {
    // A reply-first echo record: srcPort 0 (echo reply), dstPort 8.
    expect(communityId({ src: '192.168.0.1', dst: '192.168.0.89', proto: 1, srcPort: 0, dstPort: 8 }, 0, true)).toBe('1:X0snYXpgwiv9TZtqg64sgzUn6Dk=');
    // One-way type 20 code 1 keeps its orientation.
    expect(communityId({ src: '192.168.0.89', dst: '192.168.0.1', proto: 1, srcPort: 20, dstPort: 1 }, 0, true)).toBe('1:tz/fHIDUHs19NkixVVoOZywde+I=');
  });
});

// The engine's table (icmp_ports in transport.cc) is what records carry; the
// generator's must match it entry for entry.
function engineTable(): { v4: Map<number, number>; v6: Map<number, number> } {
  const src = readFileSync(fileURLToPath(new URL('../../native/src/parse/transport.cc', import.meta.url)), 'utf8');
  const fn = src.slice(src.indexOf('void icmp_ports('), src.indexOf('bool Parser::transport('));
  const split = fn.indexOf('} else {');
  const parse = (text: string): Map<number, number> =>
    new Map([...text.matchAll(/case\s+(\d+):\s*peer\s*=\s*(\d+);/g)].map((m) => [Number(m[1]), Number(m[2])]));
  return { v4: parse(fn.slice(0, split)), v6: parse(fn.slice(split)) };
}

describe('ICMP counterpart tables', () => {
  it('match icmp_ports() in native/src/parse/transport.cc', () => {
    const engine = engineTable();
    expect(engine.v4.size).toBeGreaterThan(0);
    expect(engine.v6.size).toBeGreaterThan(0);
    expect(new Map([...ICMP4_COUNTERPART].sort())).toEqual(new Map([...engine.v4].sort()));
    expect(new Map([...ICMP6_COUNTERPART].sort())).toEqual(new Map([...engine.v6].sort()));
  });

  it('are symmetric', () => {
    for (const table of [ICMP4_COUNTERPART, ICMP6_COUNTERPART]) {
      for (const [a, b] of table) expect(table.get(b)).toBe(a);
    }
  });

  it('equal the Community ID reference tables (pycommunityid icmp.py / icmp6.py)', () => {
    // echo, MLD query/report, RS/RA, NS/NA, node information, home agent address discovery
    const v6 = [[128, 129], [129, 128], [130, 131], [131, 130], [133, 134], [134, 133], [135, 136], [136, 135], [139, 140], [140, 139], [144, 145], [145, 144]] as const;
    // echo, router advertisement/solicitation, timestamp, information, address mask
    const v4 = [[0, 8], [8, 0], [9, 10], [10, 9], [13, 14], [14, 13], [15, 16], [16, 15], [17, 18], [18, 17]] as const;
    expect(new Map([...ICMP6_COUNTERPART].sort())).toEqual(new Map(v6));
    expect(new Map([...ICMP4_COUNTERPART].sort())).toEqual(new Map(v4));
  });

  it('gives one-way types their code as the destination port', () => {
    expect(icmpPortEquivalents(1, 3, 3)).toEqual({ srcPort: 3, dstPort: 3, oneWay: true });
    expect(icmpPortEquivalents(58, 1, 4)).toEqual({ srcPort: 1, dstPort: 4, oneWay: true });
    expect(icmpPortEquivalents(58, 128, 0)).toEqual({ srcPort: 128, dstPort: 129, oneWay: false });
  });
});
