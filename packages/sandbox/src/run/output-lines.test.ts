import { outputLines } from './output-lines.js';

function collect(limits = { maxLine: 10, maxTotal: 100 }) {
  const seen: string[] = [];
  return { seen, split: outputLines((line) => seen.push(line), limits) };
}

describe('outputLines', () => {
  it('splits lines across chunks anywhere', () => {
    const { seen, split } = collect();
    split.push('ab');
    split.push('c\nde\n\nf');
    split.end();
    expect(seen).toEqual(['abc', 'de', '', 'f']);
  });

  it('cuts a line longer than the limit and counts what it dropped, even across chunks', () => {
    const { seen, split } = collect();
    split.push('0123456789abc');
    split.push('def\nok\n');
    split.end();
    expect(seen).toEqual(['0123456789… (6 more characters on this line not shown)', 'ok']);
  });

  it('keeps memory bounded for one endless line without a newline', () => {
    const { seen, split } = collect({ maxLine: 1000, maxTotal: 1_000_000 });
    const chunk = 'x'.repeat(1024 * 1024);
    for (let i = 0; i < 64; i++) split.push(chunk);
    split.end();
    expect(seen).toHaveLength(1);
    expect(seen[0]!.length).toBeLessThan(1100);
    expect(seen[0]).toContain(`${64 * 1024 * 1024 - 1000} more characters`);
  });

  it('after the total budget, counts lines instead of passing them on, and says so once', () => {
    const { seen, split } = collect({ maxLine: 100, maxTotal: 20 });
    for (let i = 0; i < 10; i++) split.push('line-----\n');
    split.end();
    expect(seen.slice(0, 2)).toEqual(['line-----', 'line-----']);
    expect(seen).toHaveLength(3);
    expect(seen[2]).toMatch(/^… 8 more line\(s\) of output \(72 characters\) not shown/);
  });
});
