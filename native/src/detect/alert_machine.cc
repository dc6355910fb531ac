#include "detect/alert_machine.h"

namespace tapline {

AlertMachine::AlertMachine(const DetectConfig& config, SpscRing<AlertEvent>& out)
    : config_(config), out_(out), attacks_(config.max_attacks) {}

void AlertMachine::emit(const AlertEvent& e) {
  if (!out_.push(e)) {
    stats_.queue_drops.add();
    return;
  }
  switch (e.state) {
    case AlertState::kRaised: stats_.raised.add(); break;
    case AlertState::kUpdated: stats_.updated.add(); break;
    case AlertState::kResolved: stats_.resolved.add(); break;
    case AlertState::kReport: stats_.reports.add(); break;
  }
}

void AlertMachine::exceeded(const Observation& o) {
  Attack* free_slot = nullptr;
  for (Attack& a : attacks_) {
    if (!a.open) {
      if (free_slot == nullptr) free_slot = &a;
      continue;
    }
    if (a.ev.type != o.type || !(a.ev.key == o.key) || a.ev.key_is_src != o.key_is_src) continue;
    // Ongoing: extend it; report again when it grew notably or every N windows.
    a.ev.last_seen_ns = o.end_ns > a.ev.last_seen_ns ? o.end_ns : a.ev.last_seen_ns;
    if (o.metric == a.ev.metric) a.ev.observed = o.observed;
    a.windows_since_report += 1;
    const double grown = a.last_reported * (1.0 + config_.update_growth_percent / 100.0);
    if (a.ev.observed >= grown || a.windows_since_report >= config_.update_every_windows) {
      a.ev.state = AlertState::kUpdated;
      a.last_reported = a.ev.observed;
      a.windows_since_report = 0;
      emit(a.ev);
    }
    return;
  }
  if (free_slot == nullptr) {
    stats_.attack_drops.add();
    return;
  }
  Attack& a = *free_slot;
  a.open = true;
  a.ev = AlertEvent{};
  a.ev.type = o.type;
  a.ev.state = AlertState::kRaised;
  a.ev.metric = o.metric;
  a.ev.has_key = true;
  a.ev.key_is_src = o.key_is_src;
  a.ev.key = o.key;
  a.ev.observed = o.observed;
  a.ev.threshold = o.threshold;
  a.ev.window_ns = o.window_ns;
  a.ev.first_seen_ns = o.start_ns;
  a.ev.last_seen_ns = o.end_ns;
  a.last_reported = o.observed;
  a.windows_since_report = 0;
  stats_.open.add();
  emit(a.ev);
}

void AlertMachine::sweep(AlertType type, uint64_t now_ns) {
  for (Attack& a : attacks_) {
    if (!a.open || a.ev.type != type) continue;
    if (now_ns < a.ev.last_seen_ns || now_ns - a.ev.last_seen_ns < config_.cooldown_ns) continue;
    a.ev.state = AlertState::kResolved;
    a.open = false;
    stats_.open.set(stats_.open.get() - 1);
    emit(a.ev);
  }
}

void AlertMachine::resolve_all() {
  for (Attack& a : attacks_) {
    if (!a.open) continue;
    a.ev.state = AlertState::kResolved;
    a.open = false;
    stats_.open.set(stats_.open.get() - 1);
    emit(a.ev);
  }
}

void AlertMachine::report(AlertEvent&& e) { emit(e); }

}  // namespace tapline
