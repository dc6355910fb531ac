// Named traffic scenarios. Each is a function of parameters (all optional,
// deterministic defaults; `seed` varies ports, sizes and the like) returning a
// Scenario; buildCapture() turns scenarios into a capture and expectFlows()
// gives the records the engine must export for it under given timeouts.
//
// Every scenario has its own default addresses, so any set of them can share
// one capture without their flows colliding (mixedScenarios does that).
// One file per family under scenarios/; this module gathers them.
export type { CommonParams } from './scenarios/common.js';
export * from './scenarios/tcp.js';
export * from './scenarios/tcp-latency.js';
export * from './scenarios/udp.js';
export * from './scenarios/icmp.js';
export * from './scenarios/ipv6-sctp.js';
export * from './scenarios/link.js';
export * from './scenarios/link-types.js';
export * from './scenarios/fragments.js';
export * from './scenarios/timeouts.js';
export * from './scenarios/mixed.js';
