/** parseEventLines reads the runner's event JSON lines: hostile or broken lines are counted and shown, never thrown. */
import { gapSample } from '@safe-install/schema';
import { parseEventLines } from './event-lines.js';

describe('parseEventLines', () => {
  it('keeps events and hands every line that is not one to onBadLine, as it came', () => {
    const bad: string[] = [];
    const events = parseEventLines(['{"type":"process","pid":1}', '{"type":', 'null', '[]', '{"type":7}', '', '{"type":"file"}'].join('\n'), (line) => bad.push(line));
    expect(events.map((event) => event.type)).toEqual(['process', 'file']);
    expect(bad).toEqual(['{"type":', 'null', '[]', '{"type":7}']);
  });

  it('does not throw on a prototype key or a huge line', () => {
    const bad: string[] = [];
    const events = parseEventLines(`{"type":"x","__proto__":{"polluted":1}}\n${'{'.repeat(100_000)}\n`, (line) => bad.push(line));
    expect(events).toHaveLength(1);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(bad).toHaveLength(1);
  });
});

describe('gapSample', () => {
  it('shows the first lost line escaped and cut, or nothing', () => {
    expect(gapSample(null)).toBe('');
    expect(gapSample('a\u001b[31mred\nb')).toBe('; the first: "a\\u001b[31mred\\nb"');
    expect(gapSample('z'.repeat(500))).toBe(`; the first: "${'z'.repeat(200)}"`);
  });
});
