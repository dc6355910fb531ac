// Reads alert events from the engine's detectors (Engine.drainAlerts(), contract in
// agent/engine/alert-event.ts, parsed by the wrapper at the binding boundary).
import type { AlertEvent } from '../engine/alert-event.js';
import type { Engine } from '../engine/engine.js';

/** A function returning the events since the last call, or undefined when every detector is off. */
export function alertSource(engine: Engine, anyDetectorOn: boolean): (() => AlertEvent[]) | undefined {
  if (!anyDetectorOn) return undefined;
  return () => engine.drainAlerts();
}
