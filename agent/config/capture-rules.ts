// Capture rules written once and imported by every side that checks them: the SnifferPolicy
// (operator/api/capture.ts, flows.ts, and so the CRD), the agent's config (schema.ts), the engine's
// options (agent/engine) and the CLI (tapline capture / analyze). The patterns of what a capture
// names (interfaces, PCI addresses, CPU lists, DPDK virtual devices) and the flow table's defaults.
// The agent owns them: it is the side that opens the devices and runs the flow table.

/** PCI address domain:bus:device.function, as in /sys/bus/pci/devices and `lspci -D`: 0000:3b:02.0. */
export const PCI_ADDRESS_PATTERN = /^[0-9a-fA-F]{4}:[0-9a-fA-F]{2}:[01][0-9a-fA-F]\.[0-7]$/;

/** A Linux cpuset (core) list: 2,4-7,12. */
export const CPUSET_PATTERN = /^[0-9]{1,4}(-[0-9]{1,4})?(,[0-9]{1,4}(-[0-9]{1,4})?)*$/;

/** A Linux interface name in a policy and the agent config: at most 15 bytes (IFNAMSIZ - 1), no "/" or whitespace. */
export const INTERFACE_NAME_PATTERN = /^[A-Za-z0-9_][-A-Za-z0-9_.]{0,14}$/;

/**
 * An interface name as the engine and `tapline capture --iface` take it: INTERFACE_NAME_PATTERN
 * and "@" as well, which the kernel allows in a name (dev_valid_name).
 */
export const ENGINE_INTERFACE_NAME_PATTERN = /^[A-Za-z0-9_][-A-Za-z0-9_.@]{0,14}$/;

/**
 * A DPDK virtual device in a policy and the agent config, as EAL's --vdev takes it: the driver name
 * (net_af_packet, net_pcap, ...) and an index, then key=value arguments: net_af_packet0,iface=eth0.
 */
export const DPDK_VDEV_PATTERN = /^net_[a-z0-9_]+[0-9]+(,[a-z][a-z0-9_]*=[^,\s]+)*$/;

/**
 * A DPDK virtual device as the engine and `tapline capture --vdev` take it: any net_ driver with
 * EAL's own argument syntax (net_pcap0,rx_pcap=FILE, net_ring0); EAL checks the rest.
 */
export const ENGINE_DPDK_VDEV_PATTERN = /^net_[A-Za-z0-9_]+(,\S*)?$/;

/** DPDK's --file-prefix: letters, digits, "-" and "_", at most 64. */
export const DPDK_FILE_PREFIX_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** Hugepage sizes a DPDK capture may use. */
export const HUGEPAGE_SIZES = ['2Mi', '1Gi'] as const;

/** The flow table's defaults: the SnifferPolicy's spec.flows, the engine's options, the CLI's flags. */
export const FLOW_DEFAULTS = {
  /** A flow ends after this many seconds without packets. */
  idleTimeoutSeconds: 15,
  /** A long-lived flow is exported every this many seconds and continues. */
  activeTimeoutSeconds: 1800,
  /** Flow-table capacity over all workers. */
  maxFlows: 1 << 20,
} as const;
