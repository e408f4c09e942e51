/**
 * Trace events as JSON Lines, as the runner and the gateway write them. The writers are our code,
 * but every string inside came from install code, so each line is parsed on its own and a line
 * that is not an event is counted, never trusted (a kill can cut the last line short).
 */
import type { TraceEvent } from '@safe-install/schema';

export function parseEventLines(text: string, onBadLine: (line: string) => void = () => undefined): TraceEvent[] {
  const events: TraceEvent[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    try {
      const event = JSON.parse(line) as TraceEvent;
      if (typeof event === 'object' && event !== null && typeof event.type === 'string') events.push(event);
      else onBadLine(line);
    } catch {
      onBadLine(line);
    }
  }
  return events;
}
