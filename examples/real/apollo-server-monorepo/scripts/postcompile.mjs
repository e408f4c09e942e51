// Stand-in (ours): like upstream, tells Node which module format the compiled folders hold.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

for (const dir of ['cache-control-types', 'server']) writeFileSync(join('packages', dir, 'dist', 'cjs', 'package.json'), JSON.stringify({ type: 'commonjs' }));
