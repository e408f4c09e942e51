/**
 * The gateway container's entry point: `node gateway/main.js`. Reads its config from
 * `SAFE_INSTALL_GATEWAY_CONFIG` (JSON) or, for configs too large for one environment string (a big
 * CA bundle passes the kernel's 128 KiB limit), from the file named by
 * `SAFE_INSTALL_GATEWAY_CONFIG_FILE`. Prints one JSON line `{"ready":true,...}` on stdout once it
 * listens; exits 2 on a bad config, 0 after SIGTERM/SIGINT.
 */
import { readFileSync } from 'node:fs';
import { validateGatewayConfig } from '../config.js';
import { startGateway } from './server.js';

function readConfigText(): string | null {
  const inline = process.env['SAFE_INSTALL_GATEWAY_CONFIG'];
  if (inline) return inline;
  const file = process.env['SAFE_INSTALL_GATEWAY_CONFIG_FILE'];
  return file ? readFileSync(file, 'utf8') : null;
}

async function main(): Promise<void> {
  let input: unknown;
  try {
    const text = readConfigText();
    if (text === null) throw new Error('set SAFE_INSTALL_GATEWAY_CONFIG (JSON) or SAFE_INSTALL_GATEWAY_CONFIG_FILE');
    input = JSON.parse(text);
  } catch (error) {
    process.stderr.write(`gateway: cannot read config: ${(error as Error).message}\n`);
    process.exit(2);
  }
  // The config holds registry credentials: keep it out of anything this process spawns or prints.
  delete process.env['SAFE_INSTALL_GATEWAY_CONFIG'];
  const { value, warnings, errors } = validateGatewayConfig(input);
  for (const warning of warnings) process.stderr.write(`gateway: warning: ${warning}\n`);
  if (!value) {
    for (const error of errors) process.stderr.write(`gateway: config: ${error}\n`);
    process.exit(2);
  }
  const gateway = await startGateway(value, { onError: (error) => process.stderr.write(`gateway: ${error.message}\n`) });
  const stop = (): void => {
    void gateway.close().then(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  // Only now: whoever waits for this line may stop us right after it.
  process.stdout.write(`${JSON.stringify({ ready: true, socket: gateway.socketPath, pid: process.pid })}\n`);
}

void main();
