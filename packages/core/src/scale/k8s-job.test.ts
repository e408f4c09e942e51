import { parseAllDocuments } from 'yaml';
import { K8sJobError, k8sJobManifest, shards, type K8sJobOptions } from './k8s-job.js';

const base: K8sJobOptions = { specs: ['left-pad@1.3.0', '@scope/pkg@2.0.0', 'is-odd'], image: 'registry.example/safe-install:0.1.0', parallelism: 4, shardSize: 2, concurrency: 2, timeoutSeconds: 300, resultsClaim: 'analyze-results' };
const documents = (text: string) => parseAllDocuments(text).map((doc) => doc.toJS() as Record<string, any>);

describe('the analyze batch as a Kubernetes Indexed Job', () => {
  it('shards the specs into a ConfigMap, one file an index, and a Job with one completion a shard', () => {
    const [configMap, job] = documents(k8sJobManifest(base));
    expect(configMap!.kind).toBe('ConfigMap');
    expect(configMap!.data).toEqual({ 'shard-0.txt': 'left-pad@1.3.0\n@scope/pkg@2.0.0\n', 'shard-1.txt': 'is-odd\n' });
    expect(job!.kind).toBe('Job');
    expect(job!.spec.completionMode).toBe('Indexed');
    expect(job!.spec.completions).toBe(2);
    // Never more pods than shards.
    expect(job!.spec.parallelism).toBe(2);
    const pod = job!.spec.template.spec;
    expect(pod.restartPolicy).toBe('Never');
    const [analyze] = pod.containers;
    expect(analyze.image).toBe(base.image);
    expect(analyze.command.join(' ')).toMatch(/safe-install setup .*safe-install analyze --from "\/specs\/shard-\$\{JOB_COMPLETION_INDEX\}\.txt" --out \/results --resume/);
    expect(analyze.env).toEqual(expect.arrayContaining([{ name: 'DOCKER_HOST', value: 'tcp://127.0.0.1:2375' }, { name: 'CONCURRENCY', value: '2' }]));
    // The engine is the pod's own, a native sidecar that answers before the analysis starts.
    const [engine] = pod.initContainers;
    expect(engine).toMatchObject({ name: 'engine', restartPolicy: 'Always', securityContext: { privileged: true } });
    expect(engine.startupProbe.exec.command).toEqual(['docker', '-H', 'tcp://127.0.0.1:2375', 'info']);
    expect(pod.volumes).toEqual(expect.arrayContaining([{ name: 'results', persistentVolumeClaim: { claimName: 'analyze-results' } }, { name: 'specs', configMap: { name: 'safe-install-analyze-specs' } }]));
  });

  it('writes hostile-looking specs as data: quotes, YAML syntax and shell syntax stay one line in a file', () => {
    const specs = ['a"b', "x': y", '- z', '$(rm -rf /)', '`id`', 'k: {v}', '#comment', 'ü@1.0.0'];
    const [configMap, job] = documents(k8sJobManifest({ ...base, specs, shardSize: 100 }));
    expect(configMap!.data['shard-0.txt']).toBe(`${specs.join('\n')}\n`);
    expect(JSON.stringify(job)).not.toContain('rm -rf');
  });

  it.each([
    ['no specs', { specs: [] }, /no package/],
    ['a spec with a line break', { specs: ['a\nb'] }, /control character/],
    ['an empty spec', { specs: [''] }, /control character or is empty/],
    ['a bad job name', { name: 'Bad_Name' }, /job name/],
    ['a bad claim', { resultsClaim: 'claim/../x' }, /results claim/],
    ['a bad namespace', { namespace: 'a'.repeat(64) }, /namespace/],
    ['an image with a space', { image: 'a b' }, /image/],
    ['a zero shard size', { shardSize: 0 }, /shard size/],
    ['a fractional parallelism', { parallelism: 1.5 }, /parallelism/],
    ['a huge concurrency', { concurrency: 1000 }, /concurrency/],
    ['a negative timeout', { timeoutSeconds: -1 }, /timeout/],
  ])('refuses %s', (_what, change, message) => {
    expect(() => k8sJobManifest({ ...base, ...change } as K8sJobOptions)).toThrow(K8sJobError);
    expect(() => k8sJobManifest({ ...base, ...change } as K8sJobOptions)).toThrow(message);
  });

  it('puts every spec in exactly one shard, in order', () => {
    const specs = Array.from({ length: 1001 }, (_, i) => `p${i}`);
    const files = shards(specs, 100);
    expect(files.size).toBe(11);
    expect([...files.values()].flat()).toEqual(specs);
  });

  it('sets the namespace when given', () => {
    const [configMap, job] = documents(k8sJobManifest({ ...base, namespace: 'analysis' }));
    expect(configMap!.metadata.namespace).toBe('analysis');
    expect(job!.metadata.namespace).toBe('analysis');
  });
});
