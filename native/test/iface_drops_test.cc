// IfaceDrops: which vdevs it watches, and the rx_dropped delta of a real
// interface (loopback always exists and drops nothing while the test runs).
#include <gtest/gtest.h>

#include "source/iface_drops.h"

namespace tapline {
namespace {

TEST(IfaceDrops, FindsTheInterfaceOfAfXdpVdevsOnly) {
  EXPECT_EQ(IfaceDrops::af_xdp_iface("net_af_xdp0,iface=vrx,start_queue=0,queue_count=1"), "vrx");
  EXPECT_EQ(IfaceDrops::af_xdp_iface("net_af_xdp1,start_queue=2,iface=eth1"), "eth1");
  EXPECT_EQ(IfaceDrops::af_xdp_iface("net_af_xdp0"), "");
  EXPECT_EQ(IfaceDrops::af_xdp_iface("net_af_packet0,iface=vrx,qpairs=2"), "");
  EXPECT_EQ(IfaceDrops::af_xdp_iface("net_pcap0,rx_pcap=/tmp/x.pcap"), "");
  EXPECT_EQ(IfaceDrops::af_xdp_iface("net_af_xdp0,myiface=x,iface="), "");
}

TEST(IfaceDrops, CountsFromWhenItWasAdded) {
  IfaceDrops d;
  EXPECT_TRUE(d.empty());
  d.add("lo");
  EXPECT_FALSE(d.empty());
  EXPECT_EQ(d.drops(), 0u);
}

TEST(IfaceDrops, IgnoresInterfacesItCannotRead) {
  IfaceDrops d;
  d.add("no-such-iface0");
  d.add("../lo");
  EXPECT_TRUE(d.empty());
  EXPECT_EQ(d.drops(), 0u);
}

}  // namespace
}  // namespace tapline
