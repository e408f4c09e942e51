import type { ExportSummary } from '@safe-install/schema';
import { PROJECT_FILES_LISTED_PER_FOLDER, renderExport } from './terminal.js';

const file = (path: string, change: 'created' | 'modified' = 'created') => ({ path, change, type: 'file' as const, bytes: 1, mode: 0o644 });
const summary = (projectFiles: ExportSummary['projectFiles'], applied = true): ExportSummary => ({ applied, nodeModules: [], projectFiles, deleted: [], issues: [] });

describe('the export in the terminal', () => {
  it('lists project files one by one, but a folder with many (Yarn PnP\'s .yarn/cache) as one line', () => {
    const zips = Array.from({ length: PROJECT_FILES_LISTED_PER_FOLDER + 20 }, (_, i) => file(`.yarn/cache/p${i}-npm-1.0.0-0123456789-10c0.zip`));
    const lines = renderExport(summary([file('.pnp.cjs'), ...zips, file('.pnp.loader.mjs'), file('lib/a.js'), file('lib/b.js', 'modified')])).map((line) => line.text);
    expect(lines).toEqual([
      'project file created: .pnp.cjs',
      'project file created: .pnp.loader.mjs',
      `project files created: ${zips.length} in .yarn/cache/ (listed in the report)`,
      'project file created: lib/a.js',
      'project file modified: lib/b.js',
    ]);
    // Exactly the bound is still listed; the project's own root files always are.
    expect(renderExport(summary(Array.from({ length: PROJECT_FILES_LISTED_PER_FOLDER }, (_, i) => file(`dist/${i}.js`))))).toHaveLength(PROJECT_FILES_LISTED_PER_FOLDER);
    expect(renderExport(summary(Array.from({ length: 9 }, (_, i) => file(`${i}.txt`))))).toHaveLength(9);
    expect(renderExport(summary(zips, false))).toEqual([]);
  });

  it('sanitizes a folder name that came back from the sandbox', () => {
    const hostile = Array.from({ length: 8 }, (_, i) => file(`evil\u001b[2J\u202e/${i}.js`));
    expect(renderExport(summary(hostile)).map((line) => line.text).join('\n')).not.toMatch(/[\u001b\u202e]/);
  });
});
