/**
 * Decoy generator: the credentials, CI environment and HOME layout planted in the sandbox, and the
 * private index that lets the gateway and policy engine recognise them anywhere.
 */
export { generateDecoys, telltaleIn, type DecoyFile, type DecoySet, type GenerateDecoysOptions } from './generate.js';
export { decoyEnvFile, type DecoyEnvFile } from './env-file.js';
export { cryptoRandom, seededRandom, type RandomSource } from './random.js';
export {
  AWS_DOCUMENTED_KEY_ID,
  AWS_DOCUMENTED_SECRET,
  crc32,
  githubToken,
  npmToken,
  verifyGithubToken,
  verifyNpmToken,
  type GithubTokenPrefix,
} from './tokens.js';
export { TELLTALE_WORDS, findTelltale } from './words.js';
export { rsaMaterialAsync, type SshKeyMaterial } from './openssh.js';
