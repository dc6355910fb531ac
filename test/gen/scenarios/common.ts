// Parameters and helpers every scenario shares.
import { type PacketSpec, type VlanTag } from '../packets.js';
import { Prng } from '../prng.js';
import { type FragmentPlan, type Scenario, type ScenarioPacket } from '../scenario.js';

export interface CommonParams {
  /** Scenario start, seconds from the capture start. Default 0. */
  at?: number | undefined;
  /** Varies ports, sizes and IDs. Default 1. */
  seed?: number | undefined;
  /** VLAN tags of every packet, outermost first. */
  vlans?: readonly VlanTag[] | undefined;
  /** Link type of every packet (default: the capture's). */
  linktype?: number | undefined;
  /** Scenario name (the `scenario` of its expected flows). */
  name?: string | undefined;
}

export function ephemeralPort(rng: Prng): number {
  return rng.int(32768, 60999);
}

export interface Base {
  vlans?: readonly VlanTag[] | undefined;
  linktype?: number | undefined;
}

export function packet(t: number, spec: PacketSpec, base: Base, fragment?: FragmentPlan): ScenarioPacket {
  const p: ScenarioPacket = { t, spec: base.vlans ? { ...spec, vlans: base.vlans } : spec };
  if (base.linktype !== undefined) p.linktype = base.linktype;
  if (fragment) p.fragment = fragment;
  return p;
}
