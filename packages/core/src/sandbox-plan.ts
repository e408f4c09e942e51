/**
 * What every pipeline that runs install code plans before its sandbox opens (`ci`, `analyze`): the
 * manager's network through the gateway, the upload with its decoys, and the gateway's settings
 * with the decoys it watches for. One place, so every job's sandbox is planned alike.
 */
import type { EgressAllowConfig } from '@safe-install/gateway';
import { SANDBOX_PATHS, planUpload, type GatewaySettings, type HostNpmConfig, type Project, type SshKeyMaterial, type UploadPlan } from '@safe-install/sandbox';
import type { PackageManager } from './package-manager.js';

export interface SandboxPlan {
  plan: UploadPlan;
  /** The sandbox's network: the gateway (with the run's decoys) and the environment that points at it. */
  network: { gateway: GatewaySettings; env: string[] };
}

export async function planSandbox(pm: PackageManager, project: Project, hostConfig: HostNpmConfig, allow: EgressAllowConfig, rsaKey: SshKeyMaterial): Promise<SandboxPlan> {
  const network = await pm.sandboxNetwork(hostConfig, project.root, allow);
  const plan = planUpload(project, { home: SANDBOX_PATHS.home, projectDir: 'project', registry: hostConfig.registry, npmrc: [...network.npmrc, ...hostConfig.installSettings], rsaKey });
  return { plan, network: { gateway: { ...network.gateway, decoys: plan.decoys }, env: [...network.env, ...hostConfig.installEnv] } };
}
