/** Lockfiles for the approve and grant unit tests: left-pad (and, for Bun, esbuild) as the managers write them. */

const R = 'https://registry.example/';
/** package-lock.json v3: left-pad and esbuild from a registry, both with install scripts. */
export const NPM_LOCK = {
  name: 'app',
  version: '1.0.0',
  lockfileVersion: 3,
  requires: true,
  packages: {
    '': { name: 'app', version: '1.0.0', dependencies: { 'left-pad': '1.3.0', esbuild: '0.25.12' } },
    'node_modules/left-pad': { version: '1.3.0', resolved: `${R}left-pad/-/left-pad-1.3.0.tgz`, integrity: 'sha512-AAAA', hasInstallScript: true },
    'node_modules/esbuild': { version: '0.25.12', resolved: `${R}esbuild/-/esbuild-0.25.12.tgz`, integrity: 'sha512-BBBB', hasInstallScript: true },
  },
};

/** pnpm-lock.yaml v9 for `{ "dependencies": { "left-pad": "1.3.0" } }`. */
export const PNPM_LOCK = `lockfileVersion: '9.0'

settings:
  autoInstallPeers: true
  excludeLinksFromLockfile: false

importers:

  .:
    dependencies:
      left-pad:
        specifier: 1.3.0
        version: 1.3.0

packages:

  left-pad@1.3.0:
    resolution: {integrity: sha512-XI5MPzVNApjAyhQzphX8BkmKsKUxD4LdyK24iZeQEnG9JBBiHYDBwVF5sAnjBvTqA3ovRp0yh1ZcxbpqHRvoyA==}

snapshots:

  left-pad@1.3.0: {}
`;

const INTEGRITY = 'sha512-XI5MPzVNApjAyhQzphX8BkmKsKUxD4LdyK24iZeQGinBN9yTQT3bFlCBy/aVx2HrNcqQGsdot8ghrjyrvMCoEA==';
/** bun.lock as Bun 1.4.4 writes it: left-pad (untrusted) and esbuild (on Bun's default list). */
export const BUN_LOCK = `{
  "lockfileVersion": 1,
  "configVersion": 1,
  "workspaces": {
    "": {
      "name": "app",
      "dependencies": {
        "esbuild": "0.25.12",
        "left-pad": "1.3.0",
      },
    },
  },
  "packages": {
    "esbuild": ["esbuild@0.25.12", "", {}, "${INTEGRITY}"],

    "left-pad": ["left-pad@1.3.0", "", {}, "${INTEGRITY}"],
  }
}
`;
