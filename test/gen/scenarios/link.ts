// 802.1Q and 802.1ad (QinQ) tagged traffic.
import { type VlanTag } from '../packets.js';
import { Prng } from '../prng.js';
import { type Scenario } from '../scenario.js';
import { ephemeralPort } from './common.js';
import { type TcpSessionParams, tcpFinScenario } from './tcp.js';
import { type UdpParams, udpRequestResponseScenario } from './udp.js';

export interface VlanParams extends TcpSessionParams {
  /** 802.1Q VIDs; the same 5-tuple runs on each (one flow per VID). Default [10, 20]. */
  vids?: readonly number[];
}

/** The same TCP 5-tuple on several 802.1Q VLANs: one flow per VLAN (vlan is part of the key). */
export function vlanScenario(p: VlanParams = {}): Scenario {
  const vids = p.vids ?? [10, 20];
  const rng = new Prng(p.seed ?? 1);
  const clientPort = p.clientPort ?? ephemeralPort(rng);
  const packets = vids.flatMap((vid, i) =>
    tcpFinScenario({ client: '10.12.0.1', server: '10.12.0.2', exchanges: 1, ...p, clientPort, at: (p.at ?? 0) + i * 0.003, vlans: [{ vid, pcp: i }] }).packets,
  );
  return { name: p.name ?? 'vlan-8021q', packets };
}

export interface QinqParams extends UdpParams {
  /** Outer (service) VID: the record's vlan. Default 100. */
  outer?: number;
  /** Inner (customer) VID. Default 200. */
  inner?: number;
  /** TPID of the outer tag: 0x88a8 (802.1ad, default) or 0x9100 (pre-standard). */
  outerTpid?: number;
}

/** 802.1ad QinQ (S-tag + C-tag) UDP traffic: vlan = the outer VID. */
export function qinqScenario(p: QinqParams = {}): Scenario {
  const vlans: VlanTag[] = [{ vid: p.outer ?? 100, tpid: p.outerTpid ?? 0x88a8 }, { vid: p.inner ?? 200, tpid: 0x8100 }];
  return udpRequestResponseScenario({ client: '10.13.0.1', server: '10.13.0.2', serverPort: 8125, name: 'vlan-qinq', ...p, vlans });
}
