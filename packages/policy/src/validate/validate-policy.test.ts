import { formatIssue } from './policy-issue.js';
import { parseManifestPolicy, parsePolicyText } from './parse-policy-text.js';

const yaml = (text: string) => parsePolicyText(text, { file: 'safe-install.config.yaml', format: 'yaml' });
const json = (text: string) => parsePolicyText(text, { file: 'safe-install.config.json', format: 'json' });
const errors = (r: ReturnType<typeof yaml>): string[] => r.errors.map(formatIssue);

describe('a valid policy', () => {
  it('validates into a document', () => {
    const r = yaml(
      [
        'version: 1',
        'mode: audit',
        'failOn: medium',
        'network:',
        '  allow: ["*.githubusercontent.com:443", "[2001:db8::1]:8443", 198.51.100.1]',
        'packages:',
        '  esbuild@0.25.12:',
        '    scripts:',
        `      postinstall: sha256:${'a'.repeat(64)}`,
        '    exec: [$PACKAGE/bin/esbuild, python3, "/usr/bin/*"]',
        '    write: ["$TMPDIR/core-js-banners", "$HOME/.cache/x/"]',
        '    network: [github.com]',
        '    env: [GITHUB_TOKEN, "npm_config_*"]',
        '  "@swc/core@^1.13.0": true',
        '  core-js: false',
        // Yarn Berry runs a dependency's scripts as its `build`.
        '  cpu-features@0.0.10:',
        '    scripts:',
        `      build: sha256:${'b'.repeat(64)}`,
        'ignore:',
        '  - rule: sandbox-probe',
        '    package: nx@>=21',
        '    reason: checks for Docker to pick a cache folder',
        '    expires: 2026-12-31T00:00:00Z',
      ].join('\n'),
    );
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual([]);
    expect(r.value).toMatchObject({
      version: 1,
      mode: 'audit',
      failOn: 'medium',
      packages: { 'esbuild@0.25.12': { exec: ['$PACKAGE/bin/esbuild', 'python3', '/usr/bin/*'] }, '@swc/core@^1.13.0': true, 'core-js': false, 'cpu-features@0.0.10': { scripts: { build: `sha256:${'b'.repeat(64)}` } } },
      ignore: [{ rule: 'sandbox-probe', package: 'nx@>=21', reason: 'checks for Docker to pick a cache folder', expires: '2026-12-31T00:00:00Z' }],
    });
  });

  it('accepts the same policy as JSON', () => {
    const r = json('{ "$schema": "./node_modules/@safe-install/policy/schema/policy.schema.json", "version": 1, "packages": { "esbuild": true } }');
    expect(r.errors).toEqual([]);
    expect(r.value?.packages?.['esbuild']).toBe(true);
  });
});

describe('validation errors name the file, line, column and key', () => {
  it('bad YAML', () => {
    expect(errors(yaml('version: 1\nmode: [block\n'))).toEqual([
      'safe-install.config.yaml:3:1: YAML syntax error: Flow sequence in block collection must be sufficiently indented and end with a ]',
    ]);
  });

  it('bad JSON', () => {
    expect(errors(json('{\n  "version": 1,\n  "mode": "block",\n}\n'))).toEqual(['safe-install.config.json:4:1: JSON syntax error: expected a key in double quotes, found "}"']);
    expect(errors(json('{"version": 1, "mode": "blo'))).toEqual(['safe-install.config.json:1:24: JSON syntax error: unterminated string']);
  });

  it('unknown keys, at any depth, with a suggestion for typos', () => {
    const r = yaml('version: 1\nnetwrok:\n  allow: []\nsecrets: true\npackages:\n  esbuild:\n    exe: [a]\n');
    expect(errors(r)).toEqual([
      'safe-install.config.yaml:2:1: unknown key "netwrok" (did you mean "network"?)',
      'safe-install.config.yaml:4:1: unknown key "secrets" (expected one of: $schema, version, mode, failOn, network, packages, ignore)',
      'safe-install.config.yaml:7:5: packages.esbuild: unknown key "exe" (did you mean "exec"?)',
    ]);
    expect(r.errors.map((e) => [e.key, e.path])).toEqual([
      ['netwrok', ''],
      ['secrets', ''],
      ['exe', 'packages.esbuild'],
    ]);
    expect(r.value).toBeNull();
  });

  it('wrong types', () => {
    expect(errors(yaml('version: 1\nfailOn: 3\nmode: blok\nnetwork: [a]\npackages:\n  esbuild: yes\n  sharp:\n    exec: python3\n'))).toEqual([
      'safe-install.config.yaml:2:9: failOn: expected one of info, low, medium, high, critical, got a number',
      'safe-install.config.yaml:3:7: mode: expected one of block, audit, got "blok"',
      'safe-install.config.yaml:4:10: network: expected a mapping, got a list',
      'safe-install.config.yaml:6:12: packages.esbuild: expected true, false or a mapping of allowances, got a string',
      'safe-install.config.yaml:8:11: packages.sharp.exec: expected a list of strings, got a string',
    ]);
  });

  it('bad semver ranges and package names', () => {
    expect(errors(yaml('version: 1\npackages:\n  esbuild@^0.25.x.y: true\n  "Bad Name": true\n  esbuild@: true\n'))).toEqual([
      'safe-install.config.yaml:3:3: packages["esbuild@^0.25.x.y"]: "^0.25.x.y" is not a valid semver range',
      'safe-install.config.yaml:4:3: packages["Bad Name"]: "Bad Name" is not a valid npm package name',
      'safe-install.config.yaml:5:3: packages["esbuild@"]: "esbuild@" has an empty version after "@"',
    ]);
  });

  it('ignore entries: missing reason, blank reason, unknown rule, bad date', () => {
    expect(errors(yaml('version: 1\nignore:\n  - rule: network-not-allowed\n    package: foo\n  - rule: nope\n    reason: "  "\n    expires: tomorrow\n'))).toEqual([
      'safe-install.config.yaml:3:5: ignore[0]: missing required key "reason"',
      'safe-install.config.yaml:5:11: ignore[1].rule: unknown rule "nope" (see the rule table in the README)',
      'safe-install.config.yaml:6:13: ignore[1].reason: must say why the finding is acceptable',
      'safe-install.config.yaml:7:14: ignore[1].expires: "tomorrow" is not an ISO date (YYYY-MM-DD) or date-time',
    ]);
  });

  it('version: missing, wrong, or an empty file', () => {
    expect(errors(yaml('mode: audit\n'))).toEqual(['safe-install.config.yaml:1:1: missing required key "version"']);
    expect(errors(yaml('version: 2\n'))).toEqual(['safe-install.config.yaml:1:10: version: expected 1 (this safe-install reads policy version 1), got 2']);
    expect(errors(yaml(''))).toEqual(['safe-install.config.yaml:1:1: the policy is empty: expected a mapping with "version: 1"']);
    expect(errors(yaml('- version: 1\n'))).toEqual(['safe-install.config.yaml:1:1: expected a mapping at the top of the policy, got a list']);
  });

  it('patterns: unknown variables, relative paths, bad hosts and ports, misspelt lifecycles, bad pins', () => {
    expect(
      errors(
        yaml('version: 1\npackages:\n  esbuild:\n    write: ["$FOO/x", "relative/x", "/a/../b"]\n    network: ["exa mple.com", "[::1]:99999", "::1"]\n    scripts:\n      postinstal: sha256:00\n  sharp:\n    scripts: { install: "md5:abc" }\n    env: ["A-B"]\n'),
      ),
    ).toEqual([
      'safe-install.config.yaml:4:13: packages.esbuild.write[0]: unknown variable $FOO (known: $PROJECT, $HOME, $TMPDIR, $PACKAGE, $NODE_MODULES)',
      'safe-install.config.yaml:4:23: packages.esbuild.write[1]: "relative/x" must be absolute or start with one of $PROJECT, $HOME, $TMPDIR, $PACKAGE, $NODE_MODULES',
      'safe-install.config.yaml:4:37: packages.esbuild.write[2]: "/a/../b" must not contain "." or ".." segments',
      'safe-install.config.yaml:5:15: packages.esbuild.network[0]: "exa mple.com" is not a host name, "*.domain", or an IP address',
      'safe-install.config.yaml:5:31: packages.esbuild.network[1]: "[::1]:99999": invalid port',
      'safe-install.config.yaml:5:46: packages.esbuild.network[2]: "::1": write IPv6 addresses in brackets, e.g. [::1]:443',
      'safe-install.config.yaml:7:7: packages.esbuild.scripts: unknown lifecycle event "postinstal" (did you mean "postinstall"?)',
      'safe-install.config.yaml:9:25: packages.sharp.scripts.install: "md5:abc" is not a script pin: expected "sha256:" and 64 hex digits',
      'safe-install.config.yaml:10:11: packages.sharp.env[0]: "A-B" is not an environment variable name (a trailing * is allowed)',
    ]);
  });

  it('positions in JSON point at the offending key or value', () => {
    expect(errors(json('{\n  "version": 1,\n  "packages": {"esbuild": {"write": ["relative/path"]}},\n  "mod": "audit"\n}\n'))).toEqual([
      'safe-install.config.json:3:38: packages.esbuild.write[0]: "relative/path" must be absolute or start with one of $PROJECT, $HOME, $TMPDIR, $PACKAGE, $NODE_MODULES',
      'safe-install.config.json:4:3: unknown key "mod" (did you mean "mode"?)',
    ]);
  });

  it('duplicate keys are errors in both formats', () => {
    expect(errors(yaml('version: 1\nmode: block\nmode: audit\n'))).toEqual(['safe-install.config.yaml:3:1: YAML syntax error: duplicate key "mode"']);
    expect(errors(json('{"version": 1, "version": 1}'))).toEqual(['safe-install.config.json:1:16: JSON syntax error: duplicate key "version"']);
  });

  it('the safeInstall key of package.json, with positions in package.json', () => {
    const m = parseManifestPolicy('{\n  "name": "app",\n  "safeInstall": {\n    "version": 1,\n    "mod": "audit"\n  }\n}\n');
    expect(m.policy?.errors.map(formatIssue)).toEqual(['package.json:5:5: safeInstall: unknown key "mod" (did you mean "mode"?)']);
    expect(parseManifestPolicy('{"name": "app"}').policy).toBeNull();
    expect(parseManifestPolicy('{"name": "app", "safeInstall": null}').policy?.errors.map(formatIssue)).toEqual([
      'package.json:1:32: safeInstall: the policy is empty: expected a mapping with "version: 1"',
    ]);
  });
});

describe('warnings', () => {
  it('an entry with no value reads as true, and entries a denial shadows never apply', () => {
    const r = yaml('version: 1\npackages:\n  esbuild:\n  core-js: false\n  core-js@3.45.1: {exec: [node]}\n');
    expect(r.errors).toEqual([]);
    expect(r.warnings.map(formatIssue)).toEqual([
      'safe-install.config.yaml:3:11: packages.esbuild: no value: read as `true` (may run its scripts, nothing more)',
      'safe-install.config.yaml:5:3: packages["core-js@3.45.1"]: never applies: packages["core-js"] denies every version of core-js',
    ]);
  });
});
