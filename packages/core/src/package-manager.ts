/**
 * The package-manager seam: everything a run needs to know about the manager that installs the
 * project, so the pipeline never names one: npm (`npm.ts`) and pnpm (`pnpm.ts`); Yarn and Bun
 * plug in here with their own lockfiles, configs and commands (managers.ts picks one).
 */
import type { JobLockfile, JobStep, PackageRef, SafeInstallError, ScriptReviewReport, TraceEvent } from '@safe-install/schema';
import type { EgressAllowConfig } from '@safe-install/gateway';
import type { ExportScope, GatewaySettings, HostNpmConfig, Project } from '@safe-install/sandbox';

/** A manager's refusal of scripts its gate does not allow, as its output shows it. */
export interface RefusalWatch {
  line(text: string): void;
  seen(events: readonly TraceEvent[]): boolean;
  error(review: ScriptReviewReport | null, exitCode: number | null): SafeInstallError;
}

/** What a job asks the manager to do. `add` with no packages installs the current manifest (`npm install`). */
export type InstallJob =
  | { kind: 'ci' }
  | { kind: 'add'; packages: readonly string[] }
  | { kind: 'update'; packages: readonly string[] }
  /** Write the lockfile only: resolve the manifest's dependencies, run no script (analyze's scratch project). */
  | { kind: 'lock' };

/** A job that rewrites the manifest and the lockfile. */
export type LockfileChange = Exclude<InstallJob, { kind: 'ci' } | { kind: 'lock' }>;

/** The sandbox side of the manager's network: its user-config lines and environment, and the gateway's table. */
export interface SandboxNetwork {
  gateway: Omit<GatewaySettings, 'decoys'>;
  /** Lines for the install user's config (registries pointed at the gateway). */
  npmrc: string[];
  env: string[];
}

export interface PackageManager {
  readonly name: string;
  /** True when the folder holds this manager's lockfile. */
  detect(dir: string): Promise<boolean>;
  /**
   * Read and check the project and its lockfile (untrusted input: bounded, validated).
   * A job that rewrites the lockfile takes a valid one out of sync (`lockfileInSync: false`), or
   * none yet (`lockfileOptional`).
   */
  readProject(dir: string, options?: { lockfileInSync?: boolean; lockfileOptional?: boolean }): Promise<Project>;
  /** The host's registry, scopes, CA, proxy and install settings, as the manager itself reads them. */
  hostConfig(projectRoot: string): Promise<HostNpmConfig>;
  /** The manager's network inside the sandbox: every registry through the gateway. */
  sandboxNetwork(config: HostNpmConfig, projectRoot: string, allow: EgressAllowConfig): Promise<SandboxNetwork>;
  /** The command that runs a job, inside the sandbox. */
  command(job: InstallJob): string[];
  /**
   * The sandbox job's steps, when running the manager takes more than its command (pnpm: fetch
   * pnpm itself first), and the lockfile the runner attributes scripts by. Absent: one step, the command.
   */
  jobSteps?(job: InstallJob, project: Project, options: { export: boolean; trace: boolean }): { steps: JobStep[]; lockfile?: JobLockfile };
  /**
   * How lifecycle scripts are captured: through the manager's script-shell hook (each script
   * traced on its own, attributed by its folder), or by tracing the manager's whole process tree.
   */
  readonly scriptCapture: 'script-shell' | 'process-tree';
  /** What the install outputs: the folders whose node_modules, and the project files, may come back. */
  exportScope(project: Project): ExportScope;
  /** Cache folders under HOME that the filesystem snapshot skips (the manager's own cache). */
  readonly cacheFolders: readonly string[];
  /** The packages the lockfile installs: a script's package is the one the lockfile puts in its folder. */
  lockedPackages(project: Project): readonly PackageRef[];
  /**
   * The manager's own gate on dependency scripts, as it applied it (null when it has none).
   * `installed.tree`: what came back from the sandbox (staged, before it is put in place), or null.
   */
  scriptReview(project: Project, managerVersion: string | undefined, installed?: { tree: string | null }): ScriptReviewReport | null | Promise<ScriptReviewReport | null>;
  /**
   * The sandbox's copy of the project with `packages`' install scripts allowed in the manager's
   * own gate (npm allowScripts, pnpm allowBuilds, Bun trustedDependencies…), so the manager runs
   * them as if its field listed them; `granted`: those its field left undecided, each once. A
   * package the field denies stays denied; one the lockfile does not install is ignored. Absent:
   * the manager has no gate (Yarn 1 runs every script).
   */
  grantScripts?(project: Project, packages: readonly PackageRef[]): { project: Project; granted: PackageRef[] };
  /**
   * What the policy engine is told of the manager (absent: `{ npmVersion }`, which npm's
   * allowScripts rules read; a manager whose gate is not npm's says nothing).
   */
  evaluationContext?(managerVersion: string | undefined, project: Project): { npmVersion?: string; toolDirs?: string[] };
  /**
   * Watches the manager's output for its refusal to install scripts its gate does not allow
   * (absent: npm's strict-allow-scripts, ESTRICTALLOWSCRIPTS): `seen` after the run, and the error
   * that names what to do. Only consulted when the manager exited non-zero.
   */
  refusalWatch?(project: Project): RefusalWatch;
  /**
   * How many packages may run install scripts, from the lockfile and the project's manifests,
   * before anything ran: the `m` of the progress line. An upper bound: the manager may skip some.
   */
  scriptPackages(project: Project): number;
  /**
   * Jobs that change the manifest and lockfile (`install`, `update`), where the manager has them.
   * They run in two steps: `resolve` writes only the manifest and lockfile and runs no install code;
   * then `command({ kind: 'ci' })` installs from that lockfile, every script attributed by it. A
   * manager with `jobSteps` gives the job's steps itself (`jobSteps(change)`: pnpm fetches pnpm first).
   */
  readonly lockfileJobs?: {
    /** The command that resolves a job into the manifest and lockfile, running no install code. */
    resolve(job: LockfileChange): string[];
    /**
     * The project as the install left it: the manifest and lockfile that came back in `tree` (the
     * staged export; hostile input, checked), the project's own where none came back.
     */
    returned(project: Project, tree: string): Promise<Project>;
    /** Root files besides package.json and the lockfile the resolve may rewrite (pnpm: pnpm-workspace.yaml). */
    readonly files?: readonly string[];
  };
}
