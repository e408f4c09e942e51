/**
 * The private index of one run's decoys: every planted credential value and file path. It never
 * enters the sandbox; the gateway and the policy engine use it to recognise a decoy anywhere.
 */

export type DecoyKind =
  | 'npm-token'
  | 'github-token'
  | 'aws-access-key-id'
  | 'aws-secret-access-key'
  | 'ssh-private-key'
  | 'gcloud-credentials'
  | 'docker-auth'
  | 'kube-token'
  | 'git-credentials'
  | 'env-file-value';

export interface DecoyValue {
  kind: DecoyKind;
  /** The secret as planted. Matching also tries its common encodings. */
  value: string;
  /** Where it was planted: an absolute path in the sandbox, or `env:NAME`. */
  plantedAt: string[];
}

export interface DecoyIndex {
  values: DecoyValue[];
  /** Absolute paths of decoy credential files in the sandbox. */
  files: Array<{ path: string; kind: DecoyKind }>;
}
