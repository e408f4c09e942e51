/**
 * The image cannot import the layout module: docker/Dockerfile, docker/npmrc and the C helpers say
 * the same paths, uid and arguments in their own words. This test reads them (simple regexes over
 * the repository's files) and holds them to @safe-install/schema's layout, so that neither side can
 * change alone. Every pattern must match: a file reworded past recognition fails too. The gateway
 * package is held to it here as well: it ships without node_modules and keeps its own defaults.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DEFAULT_ADVERTISED_ORIGIN, DEFAULT_FORWARDER_LISTEN } from '@safe-install/gateway';
import { INSTALL_GID, INSTALL_UID, SANDBOX_HELPERS, SANDBOX_NETWORK, SANDBOX_PATHS, SCRIPT_BROKER_ENV, SCRIPT_SHELL_ARGS, GATEWAY_PATHS, RUNNER_COMMAND, SANDBOX_HOLDER_COMMAND } from './layout.js';

// dist/layout.test.js → the repository's docker/.
const dockerFile = (name: string): string => readFileSync(fileURLToPath(new URL(`../../../docker/${name}`, import.meta.url)), 'utf8');

/** Every capture of `pattern` (global) in `text`, each as its groups; none is a failure. */
function all(text: string, pattern: RegExp): string[][] {
  const found = [...text.matchAll(pattern)].map((match) => match.slice(1));
  if (found.length === 0) throw new Error(`${pattern} matches nothing`);
  return found;
}
const one = (text: string, pattern: RegExp): string[] => {
  const found = all(text, pattern);
  if (found.length !== 1) throw new Error(`${pattern} matches ${found.length} times, expected once`);
  return found[0]!;
};

describe('docker/npmrc agrees with the layout', () => {
  const npmrc = dockerFile('npmrc');
  it('names the script shell', () => {
    expect(one(npmrc, /^script-shell=(.*)$/gm)[0]).toBe(SANDBOX_HELPERS.scriptShell);
  });
});

describe('docker/Dockerfile agrees with the layout', () => {
  const dockerfile = dockerFile('Dockerfile');

  it('copies npmrc to the global config npm is pointed at', () => {
    expect(one(dockerfile, /^COPY npmrc (\S+)$/gm)[0]).toBe(SANDBOX_PATHS.npmGlobalConfig);
  });

  it('compiles each C helper to its path', () => {
    const built = Object.fromEntries(all(dockerfile, /gcc [^&]*?-o (\S+) \/usr\/local\/src\/([\w-]+)\.c/g).map(([out, source]) => [source, out]));
    expect(built).toEqual({
      'npm-lifecycle': SANDBOX_HELPERS.scriptShell,
      'spawn-script-tracer': SANDBOX_HELPERS.spawnScriptTracer,
      'syscall-filter': SANDBOX_HELPERS.syscallFilter,
      'time-shift': SANDBOX_HELPERS.clockShift,
    });
  });

  it('makes the script shell runnable by the install user, the root helpers root-only', () => {
    const modes = all(dockerfile, /chmod (0\d{3}) ([^&;\n]+)/g);
    const modeOf = (path: string): string | undefined => modes.find(([, paths]) => paths!.split(/\s+/).includes(path))?.[0];
    expect(modeOf(SANDBOX_HELPERS.scriptShell)).toBe('0711');
    expect(modeOf(SANDBOX_HELPERS.spawnScriptTracer)).toBe('0700');
    expect(modeOf(SANDBOX_HELPERS.syscallFilter)).toBe('0700');
    expect(modeOf(SANDBOX_HELPERS.absentTool)).toBe('0755');
    // Loaded by the install user's programs in a shifted run: readable, not executable.
    expect(modeOf(SANDBOX_HELPERS.clockShift)).toBe('0644');
    expect(modeOf(SANDBOX_PATHS.libDir)).toBe('0700');
  });

  it('copies the absent-tool stand-in and the runner to their paths', () => {
    expect(one(dockerfile, /^COPY absent-tool (\S+)$/gm)[0]).toBe(SANDBOX_HELPERS.absentTool);
    expect(one(dockerfile, /^COPY lib\/ (\S+)$/gm)[0]).toBe(`${SANDBOX_PATHS.libDir}/`);
    expect(GATEWAY_PATHS.entry.startsWith(`${SANDBOX_PATHS.libDir}/`)).toBe(true);
  });

  it("links Bun's PATH folder: bash to the script shell, node-gyp to npm's", () => {
    expect(one(dockerfile, /^RUN mkdir -p (\S+) && \\$/gm)[0]).toBe(SANDBOX_HELPERS.bunPathDir);
    expect(one(dockerfile, /^ {4}ln -s (\S+) \S+\/bash && \\$/gm)[0]).toBe(SANDBOX_HELPERS.scriptShell);
    expect(dockerfile).toContain(`ln -s /usr/local/libexec/npm-lifecycle ${SANDBOX_HELPERS.bunPathDir}/bash`);
  });

  it('creates the trace folder and the gateway socket folder root-only', () => {
    const made = all(dockerfile, /mkdir -m 0700 ([^&;\n]+)/g).flatMap(([paths]) => paths!.trim().split(/\s+/));
    expect(made).toEqual(expect.arrayContaining([SANDBOX_PATHS.traceDir, SANDBOX_PATHS.gatewaySocketDir]));
    expect(GATEWAY_PATHS.socketDir).toBe(SANDBOX_PATHS.gatewaySocketDir);
  });

  it('starts through the syscall filter and runs the runner from the lib folder', () => {
    const entrypoint = JSON.parse(one(dockerfile, /^ENTRYPOINT (\[.*\])$/gm)[0]!) as string[];
    expect(entrypoint[0]).toBe(SANDBOX_HELPERS.syscallFilter);
    expect(entrypoint.at(-1)).toBe(`${SANDBOX_PATHS.libDir}/runner/main.js`);
    // Each job is started by exec with the image's entrypoint itself, stacked filter first.
    expect(entrypoint).toEqual([...RUNNER_COMMAND]);
    expect(SANDBOX_HOLDER_COMMAND.slice(0, 2)).toEqual(entrypoint.slice(0, 2));
  });

  it('has the install user at the layout uid/gid, with its home and the project in it', () => {
    expect(all(dockerfile, /getent passwd (\d+)/g).map(([uid]) => Number(uid))).toEqual([INSTALL_UID, INSTALL_UID]);
    // groupadd -g GID NAME && useradd -u UID -g GID -m ... NAME (when the base has no such user)
    const [gid, group, uid, userGid, user] = one(dockerfile, /groupadd -g (\d+) (\S+) && useradd -u (\d+) -g (\d+) -m [^;]*? (\S+);/g);
    expect(Number(userGid)).toBe(Number(gid));
    expect({ group, gid: Number(gid), uid: Number(uid) }).toEqual({ group: user, gid: INSTALL_GID, uid: INSTALL_UID });
    // useradd -m gives /home/NAME; the layout's home is that folder.
    expect(SANDBOX_PATHS.home).toBe(`/home/${user}`);
    expect(one(dockerfile, /chown -R (\d+):(\d+) "\$home"/g).map(Number)).toEqual([INSTALL_UID, INSTALL_GID]);
    const project = one(dockerfile, /mkdir -p "\$home\/([\w-]+)"/g)[0];
    expect(SANDBOX_PATHS.project).toBe(`${SANDBOX_PATHS.home}/${project}`);
    expect(SANDBOX_PATHS.nodeModules).toBe(`${SANDBOX_PATHS.project}/node_modules`);
  });
});

describe('the C helpers agree with the layout', () => {
  const shell = dockerFile('npm-lifecycle.c');
  const spawner = dockerFile('spawn-script-tracer.c');

  it('the script shell knows its own path (the marker it re-execs)', () => {
    expect(one(shell, /^#define MARKER "([^"]*)"$/gm)[0]).toBe(SANDBOX_HELPERS.scriptShell);
  });

  it('the script shell takes the layout\'s --run and --enter', () => {
    const accepted = all(shell, /strcmp\(argv\[1\], "([^"]*)"\)/g).map(([arg]) => arg);
    expect(accepted.sort()).toEqual(['-c', SCRIPT_SHELL_ARGS.enter, SCRIPT_SHELL_ARGS.run].sort());
    // Both of its own marker execs (the broker's `direct` answer, and the namespace's script) say --run.
    const execs = all(shell, /MARKER, (?:MARKER, )?"([^"]*)"/g).map(([arg]) => arg);
    expect(execs).toEqual([SCRIPT_SHELL_ARGS.run, SCRIPT_SHELL_ARGS.run]);
  });

  it('both helpers read the broker variable the runner sets', () => {
    expect(one(shell, /getenv\("(SAFE_INSTALL_[A-Z_]+)"\)/g)[0]).toBe(SCRIPT_BROKER_ENV);
    expect(one(spawner, /BROKER_VARIABLE\[\] = "([^"]*)="/g)[0]).toBe(SCRIPT_BROKER_ENV);
  });
});

describe('the gateway\'s own defaults agree with the layout (it imports nothing but node builtins)', () => {
  it('the forwarder listens where the sandbox expects the proxy, DNS and sink', () => {
    expect(DEFAULT_FORWARDER_LISTEN).toEqual({
      proxy: [SANDBOX_NETWORK.proxy],
      dns: [SANDBOX_NETWORK.dns],
      sink: SANDBOX_NETWORK.sink.ports.map((port) => ({ host: SANDBOX_NETWORK.sink.host, port })),
    });
  });
  it('rewritten tarball URLs start at the sandbox\'s proxy origin', () => {
    expect(DEFAULT_ADVERTISED_ORIGIN).toBe(SANDBOX_NETWORK.proxyOrigin);
  });
});
