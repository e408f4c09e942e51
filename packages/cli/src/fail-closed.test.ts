import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const guard = fileURLToPath(new URL('./fail-closed.js', import.meta.url));

/** Run a small program that arms the guard, then does `body`; resolves with its exit code and stderr. */
function run(body: string): Promise<{ code: number | null; stderr: string }> {
  const program = `import(${JSON.stringify(guard)}).then(async ({ failClosed }) => { const done = failClosed(); ${body} });`;
  return new Promise((resolve) => {
    const child = execFile(process.execPath, ['--input-type=module', '-e', program], (_error, _stdout, stderr) => resolve({ code: child.exitCode, stderr }));
  });
}

describe('failClosed', () => {
  it('ends with 4 and one line when the run stops without an outcome (a stream destroyed mid-way, nobody waiting)', async () => {
    const { code, stderr } = await run(`
      const { PassThrough } = await import('node:stream');
      const stream = new PassThrough();
      stream.write(Buffer.alloc(1024));
      // The reader waits for an end that never comes: the stream is destroyed without an error.
      const reading = new Promise((resolve) => stream.on('end', resolve));
      stream.destroy();
      await reading;
      done();
    `);
    expect(code).toBe(4);
    expect(stderr).toMatch(/ended before the run reached a verdict/);
  });

  it('keeps the exit code the command set once it settled', async () => {
    expect(await run('done(); process.exitCode = 0;')).toEqual({ code: 0, stderr: '' });
    expect((await run('done(); process.exitCode = 1;')).code).toBe(1);
  });
});
