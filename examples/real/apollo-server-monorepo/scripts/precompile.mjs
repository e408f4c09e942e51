// Stand-in (ours, not upstream's): like the upstream precompile step, it writes a generated source
// file from a workspace's package.json before tsc runs, so the root postinstall writes into the tree.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const { version } = JSON.parse(readFileSync(join('packages', 'server', 'package.json'), 'utf8'));
mkdirSync(join('packages', 'server', 'src', 'generated'), { recursive: true });
writeFileSync(join('packages', 'server', 'src', 'generated', 'packageVersion.ts'), `export const packageVersion = ${JSON.stringify(version)};\n`);
