/**
 * Properties of the package as shipped: its runtime code imports node builtins and itself only
 * (it is copied into images without node_modules), and the gateway entry point starts, reports
 * ready, refuses a bad config with exit code 2, and stops cleanly on SIGTERM.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dist = fileURLToPath(new URL('.', import.meta.url));

test('runtime files import only node builtins and relative modules', () => {
  const files = readdirSync(dist, { recursive: true, encoding: 'utf8' }).filter((name) => name.endsWith('.js') && !name.endsWith('.test.js') && !name.startsWith('test-support'));
  expect(files.length).toBeGreaterThan(10);
  const offending: string[] = [];
  for (const file of files) {
    const text = readFileSync(join(dist, file), 'utf8');
    for (const match of text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)) {
      const specifier = (match[1] ?? match[2]) as string;
      if (!specifier.startsWith('node:') && !specifier.startsWith('.')) offending.push(`${file}: ${specifier}`);
    }
  }
  expect(offending).toEqual([]);
});

function runMain(env: Record<string, string>, onReady?: (child: ReturnType<typeof spawn>) => void): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(dist, 'gateway', 'main.js')], { env: { PATH: process.env['PATH'] ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let ready = false;
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (!ready && stdout.includes('\n')) {
        ready = true;
        onReady?.(child);
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

test('the entry point: ready line, SIGTERM exits 0; a bad config exits 2 naming the problem', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gateway-main-'));
  try {
    const config = {
      socketDir: join(dir, 'sock'),
      eventsFile: join(dir, 'events.jsonl'),
      cacheDir: join(dir, 'cache'),
      registries: [{ prefix: '/r/0/', upstream: 'http://127.0.0.1:9/' }],
      strictSsl: true,
      allow: { global: [], packages: {} },
      decoys: { values: [], files: [] },
      sinkAddress: '127.10.0.1',
    };
    const good = await runMain({ SAFE_INSTALL_GATEWAY_CONFIG: JSON.stringify(config) }, (child) => child.kill('SIGTERM'));
    expect(good.code).toBe(0);
    expect(JSON.parse(good.stdout.split('\n')[0] as string)).toMatchObject({ ready: true, socket: join(dir, 'sock', 'gateway.sock') });
    const bad = await runMain({ SAFE_INSTALL_GATEWAY_CONFIG: JSON.stringify({ ...config, sinkAddress: 'nowhere' }) });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('sinkAddress must be an IPv4 address');
    const none = await runMain({});
    expect(none.code).toBe(2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
