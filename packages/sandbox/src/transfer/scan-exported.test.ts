import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DecoyIndex, TraceEvent } from '@safe-install/schema';
import { scanExported } from './scan-exported.js';

const P = '/home/node/project';
const TOKEN = 'npm_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789';
const DECOYS: DecoyIndex = { files: [], values: [{ kind: 'npm-token', value: TOKEN, plantedAt: ['/home/node/.npmrc'] }] } as unknown as DecoyIndex;

const fsdiff = (id: string, path: string, change: 'created' | 'modified' | 'deleted' = 'created'): TraceEvent =>
  ({ id, ts: 1, source: 'fsdiff', pid: 0, ppid: 0, type: 'fsdiff', change, path: `${P}/${path}`, package: { name: 'evil', version: '1.0.0' }, lifecycle: 'postinstall' }) as TraceEvent;

describe('scanExported', () => {
  let tree: string;
  beforeEach(async () => {
    tree = await mkdtemp(join(tmpdir(), 'scan-'));
    await mkdir(join(tree, 'lib'));
    await mkdir(join(tree, 'node_modules/evil'), { recursive: true });
  });
  afterEach(() => rm(tree, { recursive: true, force: true }));

  it('finds a decoy value, plain or encoded, in a file a script wrote, citing its fsdiff event', async () => {
    await writeFile(join(tree, 'lib/config.js'), `module.exports = ${JSON.stringify(TOKEN)};`);
    await writeFile(join(tree, 'node_modules/evil/stash'), Buffer.from(TOKEN).toString('base64'));
    await writeFile(join(tree, 'lib/clean.js'), 'module.exports = 1;');
    const events = await scanExported(tree, P, [fsdiff('t1', 'lib/config.js'), fsdiff('t2', 'node_modules/evil/stash', 'modified'), fsdiff('t3', 'lib/clean.js')], DECOYS);
    expect(events).toEqual([
      expect.objectContaining({ type: 'decoy-exfiltration', where: 'file', decoyKind: 'npm-token', seenIn: 't1' }),
      expect.objectContaining({ type: 'decoy-exfiltration', where: 'file', decoyKind: 'npm-token', encoding: 'base64', seenIn: 't2' }),
    ]);
  });

  it('skips deletions, paths outside the project, missing files, and never reads through a symlink', async () => {
    await writeFile(join(tree, 'secret'), TOKEN);
    await symlink(join(tree, 'secret'), join(tree, 'lib/link'));
    const outside = { ...fsdiff('t4', 'x'), path: '/home/node/.npmrc' } as TraceEvent;
    const events = await scanExported(tree, P, [fsdiff('t1', 'lib/link'), fsdiff('t2', 'secret', 'deleted'), fsdiff('t3', 'lib/none'), outside], DECOYS);
    expect(events).toEqual([]);
  });
});
