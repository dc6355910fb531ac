// Community ID flow hash v1 (https://github.com/corelight/community-id-spec),
// as Zeek, Suricata and Wireshark compute it.
#pragma once
#include <cstdint>
#include <string>

#include "flow/flow_record.h"

namespace tapline {

// "1:" + base64(sha1(seed, addresses, proto, 0, ports)) for the record's flow,
// seen from its initiator. Writes 30 characters to `out` and returns the count.
size_t community_id(const FlowRecord& r, uint16_t seed, char* out);

}  // namespace tapline
