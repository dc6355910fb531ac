// The JSON form of a flow record (schema: agent/schemas/flow-record.v1.json).
// Records are encoded in native code, many per buffer, so JavaScript never
// builds one object per record on the hot path.
#pragma once
#include <cstdint>
#include <string>

#include "flow/flow_record.h"

namespace tapline {

// Appends one JSON object and a newline to `out`.
void append_record_json(const FlowRecord& r, std::string& out);

// RFC 3339 UTC with `digits` fractional digits (0..9), e.g. 2026-01-02T03:04:05.123456Z.
size_t format_rfc3339(uint64_t ts_ns, int digits, char* out);

}  // namespace tapline
