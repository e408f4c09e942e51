import { fakeEngine } from '../fake-engine.test-helper.js';
import { engineSlots, singleEngineSlots } from './batch.js';

const engines = (count: number) => Array.from({ length: count }, (_, i) => ({ name: `engine-${i}`, engine: fakeEngine({ events: [] }) }));

describe('the pool’s engine slots', () => {
  it('spreads sandboxes over several engines, the freest first, up to each one’s share', async () => {
    const slots = engineSlots(engines(2), 2);
    expect(slots.capacity).toBe(4);
    await slots.prepare(undefined);
    const taken = await Promise.all([slots.acquire(), slots.acquire(), slots.acquire(), slots.acquire()]);
    expect(taken.map((slot) => slot.name).sort()).toEqual(['engine-0', 'engine-0', 'engine-1', 'engine-1']);
    // Every slot busy: the next waits for a release, and gets the engine that was freed.
    let fifth: string | null = null;
    const waiting = slots.acquire().then((slot) => (fifth = slot.name));
    await new Promise((resolve) => setImmediate(resolve));
    expect(fifth).toBeNull();
    taken.find((slot) => slot.name === 'engine-1')!.release();
    await waiting;
    expect(fifth).toBe('engine-1');
  });

  it('a slot released twice frees one place, not two', async () => {
    const slots = singleEngineSlots(fakeEngine({ events: [] }), 1);
    await slots.prepare(undefined);
    const first = await slots.acquire();
    first.release();
    first.release();
    await slots.acquire();
    let second = false;
    void slots.acquire().then(() => (second = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(second).toBe(false);
  });

  it('needs prepare first, prepares every engine, and aborts every engine', async () => {
    const pool = engines(3);
    const slots = engineSlots(pool, 1);
    await expect(slots.acquire()).rejects.toThrow(/prepare/);
    await slots.prepare(undefined);
    expect((await slots.acquire()).image).toBe('safe-install-sandbox:fake');
    await slots.abort();
    expect(pool.map((entry) => (entry.engine as ReturnType<typeof fakeEngine>).aborted)).toEqual([1, 1, 1]);
    expect(() => engineSlots([], 1)).toThrow(/no engine/);
  });
});
