/**
 * `analyze --emit-k8s FILE`: the same batch as a Kubernetes Indexed Job, for a team that analyses
 * at scale on a cluster it already runs (package-analysis feeds its workers from a queue; an
 * Indexed Job is the queue-free form of that: each pod takes one shard of the list by its index).
 *
 * Each pod runs the CLI image with a Docker engine of its own beside it (a `docker:dind` native
 * sidecar, privileged, reached over loopback TCP): the sandbox needs an engine, and the pod must not reach
 * the node's. Results land on a claim every pod mounts, one folder a package, so `--resume` makes a
 * retried pod skip what its predecessor finished. See docs/scaling.md for what changes and costs.
 *
 * Pure: the specs (already checked by the analyze input parser) and the options in, manifest text
 * out. Every value goes through the YAML library, never into text by hand.
 */
import { stringify } from 'yaml';

export interface K8sJobOptions {
  /** Packages to analyse, one spec each (`name`, `name@version`). */
  specs: readonly string[];
  /** The image holding the safe-install CLI (built from the packed package; see docs/scaling.md). */
  image: string;
  /** The engine sidecar's image. */
  engineImage?: string;
  /** Pods at once. */
  parallelism: number;
  /** Packages per pod (a shard); each pod analyses its shard with `concurrency` sandboxes. */
  shardSize: number;
  concurrency: number;
  /** Per-package limit, seconds. */
  timeoutSeconds: number;
  /** The claim results are written to (ReadWriteMany across pods). */
  resultsClaim: string;
  /** Name of the Job and prefix of its ConfigMap. */
  name?: string;
  namespace?: string;
}

/** A Kubernetes name: DNS-1123 label, at most 63 characters. */
const NAME_PATTERN = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
/** What `analyze --from` takes per line, and what a ConfigMap key may be. */
const MAX_SPECS = 100_000;

export class K8sJobError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'K8sJobError';
  }
}

function checkedName(what: string, value: string): string {
  if (!NAME_PATTERN.test(value)) throw new K8sJobError(`${what} must be a Kubernetes name (lowercase letters, digits, '-'; at most 63): ${JSON.stringify(value)}`);
  return value;
}

function positive(what: string, value: number, max: number): number {
  if (!Number.isSafeInteger(value) || value < 1 || value > max) throw new K8sJobError(`${what} must be a whole number from 1 to ${max}`);
  return value;
}

/** The shards: `shard-N.txt` → its specs, one a line. */
export function shards(specs: readonly string[], shardSize: number): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (let i = 0; i * shardSize < specs.length; i++) out.set(`shard-${i}.txt`, specs.slice(i * shardSize, (i + 1) * shardSize));
  return out;
}

/** The manifest: a ConfigMap of shards and the Indexed Job, as two YAML documents. */
export function k8sJobManifest(options: K8sJobOptions): string {
  const name = checkedName('the job name', options.name ?? 'safe-install-analyze');
  const claim = checkedName('the results claim', options.resultsClaim);
  const namespace = options.namespace === undefined ? undefined : checkedName('the namespace', options.namespace);
  if (options.specs.length === 0) throw new K8sJobError('no package to analyse');
  if (options.specs.length > MAX_SPECS) throw new K8sJobError(`at most ${MAX_SPECS} packages in one job`);
  for (const spec of options.specs) {
    // The analyze parser checked them; a line break here would make two specs of one in the shard file.
    if (spec.length === 0 || /[\u0000-\u001f\u007f]/.test(spec)) throw new K8sJobError(`a package spec holds a control character or is empty: ${JSON.stringify(spec)}`);
  }
  if (!options.image || /\s/.test(options.image)) throw new K8sJobError('the image must be a non-empty image reference');
  const shardSize = positive('the shard size', options.shardSize, 10_000);
  const parallelism = positive('the parallelism', options.parallelism, 1000);
  const concurrency = positive('the concurrency', options.concurrency, 64);
  const timeoutSeconds = positive('the timeout', options.timeoutSeconds, 86_400);
  const shardFiles = shards(options.specs, shardSize);
  const meta = (suffix = '') => ({ name: `${name}${suffix}`, ...(namespace ? { namespace } : {}), labels: { 'app.kubernetes.io/name': 'safe-install', 'app.kubernetes.io/component': 'analyze' } });

  const configMap = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: meta('-specs'),
    data: Object.fromEntries([...shardFiles].map(([file, specs]) => [file, `${specs.join('\n')}\n`])),
  };
  const job = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: meta(),
    spec: {
      completionMode: 'Indexed',
      completions: shardFiles.size,
      parallelism: Math.min(parallelism, shardFiles.size),
      // A pod that fails is retried; with --resume it redoes only what was not finished.
      backoffLimitPerIndex: 2,
      maxFailedIndexes: Math.max(1, Math.ceil(shardFiles.size / 10)),
      template: {
        metadata: { labels: meta().labels },
        spec: {
          restartPolicy: 'Never',
          containers: [
            {
              name: 'analyze',
              image: options.image,
              // The pod's engine starts empty: setup builds the sandbox image in it first. The index
              // picks the shard; the shell only expands it (the specs are in a file, never on this line).
              command: ['/bin/sh', '-c', 'safe-install setup >&2 && exec safe-install analyze --from "/specs/shard-${JOB_COMPLETION_INDEX}.txt" --out /results --resume --concurrency "$CONCURRENCY" --timeout-seconds "$TIMEOUT_SECONDS"'],
              env: [
                { name: 'DOCKER_HOST', value: 'tcp://127.0.0.1:2375' },
                { name: 'CONCURRENCY', value: String(concurrency) },
                { name: 'TIMEOUT_SECONDS', value: String(timeoutSeconds) },
              ],
              volumeMounts: [
                { name: 'specs', mountPath: '/specs', readOnly: true },
                { name: 'results', mountPath: '/results' },
              ],
              resources: { requests: { cpu: String(concurrency), memory: `${concurrency * 2}Gi` } },
            },
          ],
          initContainers: [
            {
              // The pod's own engine, a native sidecar (Kubernetes 1.29+): it starts, and answers, before
              // the analysis does, and stops when it is done. Sandboxes never run on the node's engine.
              name: 'engine',
              image: options.engineImage ?? 'docker:dind',
              restartPolicy: 'Always',
              securityContext: { privileged: true },
              env: [{ name: 'DOCKER_TLS_CERTDIR', value: '' }],
              args: ['--host=tcp://127.0.0.1:2375'],
              startupProbe: { exec: { command: ['docker', '-H', 'tcp://127.0.0.1:2375', 'info'] }, periodSeconds: 2, failureThreshold: 60 },
              volumeMounts: [{ name: 'engine-storage', mountPath: '/var/lib/docker' }],
            },
          ],
          volumes: [
            { name: 'specs', configMap: { name: `${name}-specs` } },
            { name: 'results', persistentVolumeClaim: { claimName: claim } },
            { name: 'engine-storage', emptyDir: {} },
          ],
        },
      },
    },
  };
  return `${stringify(configMap)}---\n${stringify(job)}`;
}
