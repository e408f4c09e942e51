/**
 * Is the export linear in files? Builds trees of N files (the root's node_modules, a workspace's,
 * a few hundred project files), tars them with GNU tar the way the runner does, and times the
 * host's side: the safe extraction into a staging folder, the swap plan and the swap (over an old
 * tree of the same size, which is moved aside and removed). Prints the time per file at each N:
 * flat means linear.
 *
 *   node bench/dist/export-scale.js            (N = 5000, 10000, 20000, 40000)
 *   EXPORT_SIZES=20000 node bench/dist/export-scale.js
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applySwap, exportScope, extractSafely, planSwap, STAGING_PREFIX } from '@safe-install/sandbox';
import { machine } from './measure.js';

const WORKSPACE = 'packages/w';

/** `files` files: 85% in node_modules, 10% in the workspace's, 5% (at most 500) project files. */
async function makeTree(root: string, files: number, tag: string): Promise<string[]> {
  const project = Math.min(500, Math.round(files * 0.05));
  const workspace = Math.round(files * 0.1);
  const modules = files - project - workspace;
  const write = async (path: string) => {
    await writeFile(join(root, path), `${tag} ${path}\n`.repeat(20));
  };
  const fill = async (base: string, count: number) => {
    for (let i = 0; i < count; i += 10) {
      const dir = `${base}/pkg-${i / 10}/lib`;
      await mkdir(join(root, dir), { recursive: true });
      await Promise.all(Array.from({ length: Math.min(10, count - i) }, (_, j) => write(`${dir}/f${j}.js`)));
    }
  };
  await fill('node_modules', modules);
  await fill(`${WORKSPACE}/node_modules`, workspace);
  const changed: string[] = [];
  for (let i = 0; i < project; i += 50) {
    const dir = `lib/part-${i / 50}`;
    await mkdir(join(root, dir), { recursive: true });
    for (let j = 0; j < Math.min(50, project - i); j++) {
      await write(`${dir}/out${j}.js`);
      changed.push(`${dir}/out${j}.js`);
    }
  }
  return ['node_modules', `${WORKSPACE}/node_modules`, ...changed];
}

async function once(files: number): Promise<{ extract: number; plan: number; swap: number }> {
  const base = await mkdtemp(join(tmpdir(), 'export-scale-'));
  try {
    const sandbox = join(base, 'sandbox');
    const project = join(base, 'project');
    await mkdir(sandbox);
    await mkdir(project);
    const list = await makeTree(sandbox, files, 'new');
    await makeTree(project, files, 'old');
    const tar = spawn('tar', ['-c', '-C', sandbox, '--null', '--verbatim-files-from', '-T', '-'], { stdio: ['pipe', 'pipe', 'inherit'] });
    tar.stdin.end(list.map((path) => `./${path}\0`).join(''));
    const dir = await mkdtemp(join(project, STAGING_PREFIX));
    const tree = join(dir, 'tree');
    await mkdir(tree);
    let start = performance.now();
    const extract = await extractSafely(tar.stdout, { target: tree, scope: exportScope([WORKSPACE], { projectFiles: true }) });
    const extractMs = performance.now() - start;
    if (extract.files !== files) throw new Error(`extracted ${extract.files} of ${files} files`);
    start = performance.now();
    const plan = await planSwap(project, { dir, tree, extract }, [WORKSPACE]);
    const planMs = performance.now() - start;
    start = performance.now();
    await applySwap(plan);
    return { extract: extractMs, plan: planMs, swap: performance.now() - start };
  } finally {
    await rm(base, { recursive: true, force: true });
  }
}

const sizes = (process.env['EXPORT_SIZES'] ?? '5000,10000,20000,40000').split(',').map(Number);
console.log(JSON.stringify(machine()));
for (const files of sizes) {
  const t = await once(files);
  const total = t.extract + t.plan + t.swap;
  console.log(
    `${files} files: extract ${Math.round(t.extract)} ms, plan ${Math.round(t.plan)} ms, swap ${Math.round(t.swap)} ms; ` +
      `${((total * 1000) / files).toFixed(1)} µs per file`,
  );
}
