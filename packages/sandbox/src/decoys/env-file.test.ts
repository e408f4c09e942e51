/**
 * decoyEnvFile takes a user's real `.env`: the decoy must keep keys and layout, give each value a
 * fresh value of the same shape, copy no real value, and survive any input. Files are compared
 * through dotenv's own line grammar (its v16 `LINE` expression, reproduced below) so "same keys"
 * means what the application would see.
 */
import { decoyEnvFile } from './env-file.js';
import { cryptoRandom, seededRandom } from './random.js';
import { verifyGithubToken, verifyNpmToken } from './tokens.js';
import { findTelltale } from './words.js';

const TIMEOUT = 60_000;

/** dotenv 16's parser (lib/main.js `parse`), for comparing what an application would load. */
function dotenvParse(src: string): Record<string, string> {
  const LINE = /(?:^|^)\s*(?:export\s+)?([\w.-]+)(?:\s*=\s*?|:\s+?)(\s*'(?:\\'|[^'])*'|\s*"(?:\\"|[^"])*"|\s*`(?:\\`|[^`])*`|[^#\r\n]+)?\s*(?:#.*)?(?:$|$)/gm;
  const obj: Record<string, string> = {};
  const lines = src.replace(/\r\n?/gm, '\n');
  for (let match = LINE.exec(lines); match !== null; match = LINE.exec(lines)) {
    const key = match[1] as string;
    let value = (match[2] ?? '').trim();
    const maybeQuote = value[0];
    value = value.replace(/^(['"`])([\s\S]*)\1$/gm, '$2');
    if (maybeQuote === '"') value = value.replace(/\\n/g, '\n').replace(/\\r/g, '\r');
    obj[key] = value;
  }
  return obj;
}

const lineBreaks = (s: string): string[] => s.match(/\r\n|\r|\n/g) ?? [];

const REAL = [
  '# Production settings — do not commit',
  'DATABASE_URL=postgres://appuser:S3cr3tP4ssw0rd@db.prod.mycorp.com:5432/appdb?sslmode=require',
  'export REDIS_URL="redis://:hunter22xyz@10.0.3.4:6379/0"',
  'NODE_ENV=production',
  'PORT=3000',
  'WORKERS=16',
  'RATIO=0.75',
  'DEBUG=false',
  'STRIPE_SECRET_KEY=sk_live_51HxYzAbCdEfGhIjKlMnOpQrStUvWxYz0123456789',
  'GH_PAT=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',
  'NPM_PUBLISH=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',
  'AWS_ACCESS_KEY_ID=AKIAZ7Q3RS4TUV5WX6YZ',
  'AWS_SECRET_ACCESS_KEY=Zm9vYmFyYmF6cXV4cXV1eHF1dXhxdXV4cXV1eHF1',
  "JWT_SECRET='a1b2c3d4e5f60718293a4b5c6d7e8f90'",
  'SESSION_SECRET=`Qk9PTUJPT01CT09NQk9PTUJPT00=`',
  'EMPTY=',
  'EMPTY_QUOTED=""',
  'SPACED = spaced-value-here',
  'YAML_STYLE: colon-separated-value',
  'SENTRY_DSN=https://0123456789abcdef0123456789abcdef@o123456.ingest.sentry.io/7654321',
  'ADMIN_EMAIL=ops-team@mycorp.com',
  'PRIVATE_KEY="-----BEGIN PRIVATE KEY-----',
  'MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj',
  'MzEfYyjiWA4R4/M2bS1GB4t7NXp98C3SC6dVMvDuictGeurT8jNbvJZHtCSuYEvu',
  '-----END PRIVATE KEY-----"',
  'ESCAPED_KEY="-----BEGIN RSA PRIVATE KEY-----\\nMIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnzj4p4WGeKLs1Pt8Qu\\n-----END RSA PRIVATE KEY-----\\n"',
  'GOOGLE_CREDS={"type":"service_account","project_id":"my-proj-123456","private_key_id":"abc123def456abc123def456","client_email":"svc@my-proj-123456.iam.gserviceaccount.com","enabled":true,"retries":3}',
  'API_KEY=abcd1234efgh # rotated 2024-01-01 by key 9f8e7d6c5b4a',
  'LOG_LEVEL=info',
  'AWS_REGION=eu-west-1',
  'ACCESS_JWT=eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c',
  'URL_WITH_REFS=postgres://${DB_USER}:${DB_PASS}@${DB_HOST}:5432/app',
  '# OLD_SECRET=verysecretvalue123',
  'COMPANY_UUID=3f2b8c1e-9d4a-4e6f-8b2c-1a2b3c4d5e6f',
  'TENANT_ID=DEADBEEF-CAFE-4ABC-9DEF-ABCDEFABCDEF',
  'HASH_SALT=9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
  'PASSWORD=pa$$w0rd!with#hash',
  '',
].join('\n');

/** Values that are not secrets and may legitimately reappear (booleans, empties). */
const MAY_REPEAT = new Set(['', 'false', 'true']);

describe('decoyEnvFile: structure', () => {
  const decoy = decoyEnvFile(REAL, seededRandom('structure'), '/home/node/project/.env');
  const real = dotenvParse(REAL);
  const fake = dotenvParse(decoy.content);

  it('keeps every key, in order, and the line layout', () => {
    expect(Object.keys(fake)).toEqual(Object.keys(real));
    expect(lineBreaks(decoy.content)).toEqual(lineBreaks(REAL));
    const realLines = REAL.split('\n');
    const fakeLines = decoy.content.split('\n');
    for (const [i, line] of realLines.entries()) {
      const fakeLine = fakeLines[i] ?? '';
      // Key, export prefix, separator and opening quote are structure and stay byte for byte.
      const head = /^\s*(?:export\s+)?[\w.-]+(?:\s*=\s*|\s*:\s+)['"`]?/.exec(line)?.[0];
      if (head !== undefined && !line.startsWith('#')) expect(fakeLine.startsWith(head)).toBe(true);
      if (line === '' || line.startsWith('-----')) expect(fakeLine).toBe(line);
    }
    expect(fakeLines[0]).toBe(realLines[0]);
  });

  it('gives every value a new one and copies no real value anywhere', () => {
    for (const [key, value] of Object.entries(real)) {
      if (!MAY_REPEAT.has(value)) expect({ key, value: fake[key] }).not.toEqual({ key, value });
    }
    const realValues = [...Object.values(real), 'S3cr3tP4ssw0rd', 'hunter22xyz', 'db.prod.mycorp.com', 'mycorp', 'verysecretvalue123', '9f8e7d6c5b4a', 'abcd1234efgh', 'appuser', 'appdb'];
    for (const value of realValues) {
      if (value.length >= 5 && !MAY_REPEAT.has(value)) expect(decoy.content).not.toContain(value);
    }
    // The JWT's decoded claims must not survive either.
    expect(Buffer.from((fake['ACCESS_JWT'] ?? '').split('.')[1] ?? '', 'base64url').toString()).not.toContain('John');
  });

  it('keeps shapes: URLs, numbers, booleans, tokens, keys, JSON, JWTs, PEM', () => {
    const db = new URL(fake['DATABASE_URL'] ?? '');
    expect(db.protocol).toBe('postgres:');
    expect(db.password).toHaveLength('S3cr3tP4ssw0rd'.length);
    expect(db.password).not.toBe('S3cr3tP4ssw0rd');
    expect(db.port).toBe('5432');
    expect(db.searchParams.get('sslmode')).toMatch(/^(disable|prefer|verify-full)$/);
    const redis = new URL(fake['REDIS_URL'] ?? '');
    expect(redis.hostname).toMatch(/^10\.\d+\.\d+\.\d+$/);
    expect(redis.password).toHaveLength('hunter22xyz'.length);
    expect(fake['NODE_ENV']).toMatch(/^(staging|development|preview)$/);
    expect(fake['PORT']).toMatch(/^[1-9]\d{3}$/);
    expect(fake['WORKERS']).toMatch(/^[1-9]\d$/);
    expect(fake['RATIO']).toMatch(/^\d\.\d\d$/);
    expect(fake['DEBUG']).toMatch(/^(true|false)$/);
    expect(fake['STRIPE_SECRET_KEY']).toMatch(/^sk_live_[A-Za-z0-9]{42}$/);
    expect(verifyGithubToken(fake['GH_PAT'] ?? '')).toBe(true);
    expect(verifyNpmToken(fake['NPM_PUBLISH'] ?? '')).toBe(true);
    expect(fake['AWS_ACCESS_KEY_ID']).toMatch(/^AKIA[A-Z2-7]{16}$/);
    expect(fake['AWS_SECRET_ACCESS_KEY']).toMatch(/^[A-Za-z0-9+/]{40}$/);
    expect(fake['JWT_SECRET']).toMatch(/^[0-9a-f]{32}$/);
    expect(fake['SESSION_SECRET']).toMatch(/^[A-Za-z0-9+/]{27}=$/);
    expect(fake['HASH_SALT']).toMatch(/^[0-9a-f]{64}$/);
    expect(fake['TENANT_ID']).toMatch(/^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/);
    expect(fake['COMPANY_UUID']).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(fake['ADMIN_EMAIL']).toMatch(/^[a-z]{3}-[a-z]{4}@[a-z]+\.com$/);
    expect(fake['AWS_REGION']).toMatch(/^[a-z]{2}-[a-z]+-\d$/);
    expect(fake['LOG_LEVEL']).toMatch(/^(debug|warn|error)$/);
    expect(fake['URL_WITH_REFS']).toMatch(/^postgres:\/\/\$\{DB_USER\}:\$\{DB_PASS\}@\$\{DB_HOST\}:5432\/[a-z]{3}$/);
    expect(fake['YAML_STYLE']).toMatch(/^[a-z]+-[a-z]+-[a-z]+$/);

    const creds = JSON.parse(fake['GOOGLE_CREDS'] ?? '') as Record<string, unknown>;
    expect(Object.keys(creds)).toEqual(['type', 'project_id', 'private_key_id', 'client_email', 'enabled', 'retries']);
    expect(creds['type']).toBe('service_account');
    expect(creds['client_email']).toMatch(/@[a-z0-9-]+\.iam\.gserviceaccount\.com$/);
    expect(typeof creds['enabled']).toBe('boolean');
    expect(typeof creds['retries']).toBe('number');

    const [header = '', payload = '', signature = ''] = (fake['ACCESS_JWT'] ?? '').split('.');
    expect(JSON.parse(Buffer.from(header, 'base64url').toString())).toEqual({ alg: 'HS256', typ: 'JWT' });
    expect(Object.keys(JSON.parse(Buffer.from(payload, 'base64url').toString()) as object)).toEqual(['sub', 'name', 'iat']);
    expect(signature).toHaveLength(43);

    const pem = (fake['PRIVATE_KEY'] ?? '').split('\n');
    expect(pem[0]).toBe('-----BEGIN PRIVATE KEY-----');
    expect(pem[3]).toBe('-----END PRIVATE KEY-----');
    expect(pem[1]).toMatch(/^[A-Za-z0-9+/]{64}$/);
    expect(fake['ESCAPED_KEY']).toMatch(/^-----BEGIN RSA PRIVATE KEY-----\n[A-Za-z0-9+/]{64}\n-----END RSA PRIVATE KEY-----\n$/);
  });

  it('keeps comments, replacing only what could hide a secret', () => {
    const lines = decoy.content.split('\n');
    expect(lines[0]).toBe('# Production settings — do not commit');
    const commented = lines.find((l) => l.startsWith('# OLD_SECRET='));
    expect(commented).toMatch(/^# OLD_SECRET=[A-Za-z0-9]{18}$/);
    const inline = lines.find((l) => l.startsWith('API_KEY=')) ?? '';
    expect(inline).toMatch(/^API_KEY=[a-z0-9]{12} # rotated \d{4}-\d\d-\d\d by key [0-9a-f]{12}$/);
  });

  it('returns each distinctive decoy value for the index, none of them real', () => {
    expect(decoy.values.length).toBeGreaterThan(10);
    const realSet = new Set(Object.values(real));
    for (const v of decoy.values) {
      expect(v.kind).toBe('env-file-value');
      expect(v.plantedAt).toEqual(['/home/node/project/.env']);
      expect(decoy.content).toContain(v.value.includes('\n') ? v.value.split('\n')[1] : v.value);
      expect(realSet.has(v.value)).toBe(false);
    }
    const indexed = new Set(decoy.values.map((v) => v.value));
    for (const key of ['STRIPE_SECRET_KEY', 'GH_PAT', 'AWS_SECRET_ACCESS_KEY', 'JWT_SECRET', 'PRIVATE_KEY']) {
      expect(indexed.has(fake[key] ?? '')).toBe(true);
    }
    // Composites are indexed by their atomic parts, never whole (their structure is not evidence).
    const db = new URL(fake['DATABASE_URL'] ?? '');
    expect(indexed.has(db.password)).toBe(true);
    expect(indexed.has(db.hostname.replace(/\.com$/, ''))).toBe(true);
    expect(indexed.has(fake['DATABASE_URL'] ?? '')).toBe(false);
    expect(indexed.has(fake['GOOGLE_CREDS'] ?? '')).toBe(false);
    const creds = JSON.parse(fake['GOOGLE_CREDS'] ?? '') as Record<string, string>;
    expect(indexed.has(creds['private_key_id'] ?? '')).toBe(true);
    expect(indexed.has((fake['ACCESS_JWT'] ?? '').split('.')[2] ?? '')).toBe(true);
    for (const v of decoy.values) expect(v.value).not.toMatch(/amazonaws|gserviceaccount|sentry\.io/);
    expect(decoyEnvFile('A=abcdefgh1234').values[0]?.plantedAt).toEqual([]);
  });

  it('maps one real value to one decoy throughout the file, as a real file would read', () => {
    const out = dotenvParse(decoyEnvFile('A=Xy7pQ2rT9wLm4nB8\nB=Xy7pQ2rT9wLm4nB8\nC=other-value-42\n', seededRandom('same')).content);
    expect(out['A']).toBe(out['B']);
    expect(out['C']).not.toBe(out['A']);
  });

  it('is reproducible from a seed and different between runs', () => {
    expect(decoyEnvFile(REAL, seededRandom('s')).content).toBe(decoyEnvFile(REAL, seededRandom('s')).content);
    const one = dotenvParse(decoyEnvFile(REAL).content);
    const two = dotenvParse(decoyEnvFile(REAL).content);
    // Enumerations (environment names, log levels, regions) have a handful of members to pick from.
    const enumerations = new Set(['NODE_ENV', 'LOG_LEVEL', 'AWS_REGION', 'DEBUG']);
    for (const [key, value] of Object.entries(one)) {
      if (value.length >= 8 && !enumerations.has(key)) expect({ key, value: two[key] }).not.toEqual({ key, value });
    }
  });

  it('introduces no tell-tale word', () => {
    for (let i = 0; i < 30; i++) expect(findTelltale(decoyEnvFile(REAL, seededRandom(`clean-${i}`)).content)).toBeNull();
    // The input's own words stay where they are structure (keys, prefixes); none are added.
    const out = decoyEnvFile('TEST_MODE=test\nKEY=sk_test_4eC39HqLyjWDarjtT1zdp7dc\n', cryptoRandom).content;
    expect(out.match(/test/gi)?.length).toBe(2);
  });
});

describe('decoyEnvFile: hostile input never throws', () => {
  const MB = 1024 * 1024;
  const cases: Array<[string, string]> = [
    ['CRLF line endings', 'A=1\r\nB="two words"\r\n# c\r\n\r\nexport C=\'x\'\r\n'],
    ['lone CR line endings', 'A=one\rB=two\r'],
    ['mixed endings and a BOM', '\uFEFFA=1\nB=2\r\nC=3\rD=4'],
    ['quotes of every kind, escaped and unterminated', 'A="x\\"y"\nB=\'it\\\'s\'\nC=`back`\nD="never closed\nE=\'also open\nF=`open'],
    ['multi-line quoted values', 'A="line1\nline2\r\nline3"\nB=\'x\ny\'\nC=`p\nq`\n'],
    ['export prefixes and odd separators', 'export A=1\nexport   B = 2\nexport C\nD : 4\nE:5\n=novalue\n==\n'],
    ['empty values', 'A=\nB=""\nC=\'\'\nD= # comment\nE=   \n'],
    ['junk after closing quotes', 'A="x" trailing junk\nB=\'y\'#c\nC="z"   # ok\n'],
    ['NUL bytes and control characters', 'A=\u0000\u0001\u0002\nB=x\u0000y\n\u0000\n'],
    ['lone surrogates and astral characters', 'A=\uD800x\uDFFF\nB=😀😀secret😀\nC=\u2028\u2029\n'],
    ['no key at all', 'just some text\n   \n\t\n;comment\n[section]\n'],
    ['URL edge cases', 'A=http://\nB=https://@\nC=redis://:@:/\nD=x://a:b@[::1]:99999/p?q=&=v#f\nE=mongodb://u:p@h1:1,h2:2,h3/db?replicaSet=rs0\n'],
    ['JSON and JWT edge cases', 'A={}\nB=[]\nC={"a":1e+21,"b":-0.5,"c":null,"d":[true,false]}\nD=eyJ.eyJ.\nE=eyJhIjoxfQ.eyJhIjoxfQ.\nF={bad json}\n'],
    ['PEM edge cases', 'A=-----BEGIN X-----\nB="-----BEGIN A-----\n-----END A-----"\nC=-----END-----\n'],
  ];

  it.each(cases)('%s', (_label, input) => {
    const result = decoyEnvFile(input, seededRandom(input));
    expect(typeof result.content).toBe('string');
    expect(lineBreaks(result.content)).toEqual(lineBreaks(input));
  });

  it(
    'megabyte lines and quadratic traps finish quickly',
    () => {
      const big = 'Qk9P'.repeat(MB / 4);
      const inputs = [
        `BIG=${big}\nSMALL=1\n`,
        `BIG="${'a b '.repeat(MB / 4)}"\n`,
        `# ${'x'.repeat(MB)}\n`,
        `${'k'.repeat(MB)}\n`,
        `KEY=${'='.repeat(MB)}\n`,
        `KEY="${'\\"'.repeat(MB / 2)}\n`,
        'A="x\n'.repeat(20_000),
        "A='x\n".repeat(20_000),
        'A=1\n'.repeat(50_000),
        `URL=https://${'a.'.repeat(MB / 2)}com/\n`,
        `JSON=[${'1,'.repeat(MB / 2)}1]\n`,
      ];
      for (const input of inputs) {
        const started = Date.now();
        const result = decoyEnvFile(input);
        expect(Date.now() - started).toBeLessThan(10_000);
        expect(lineBreaks(result.content)).toHaveLength(lineBreaks(input).length);
      }
      // The megabyte secret is replaced, not copied, and keeps its length and charset.
      const out = dotenvParse(decoyEnvFile(`BIG=${big}\n`).content);
      expect(out['BIG']).toHaveLength(big.length);
      expect(out['BIG']).not.toBe(big);
      expect(out['BIG']).toMatch(/^[A-Za-z0-9]+$/);
    },
    TIMEOUT,
  );

  it('random garbage from a palette of awkward characters', () => {
    const palette = ['A', 'z', '9', '=', '"', "'", '`', '#', ' ', '\t', '\n', '\r', '\\', '$', '{', '}', ':', '/', '@', '-', '_', '.', 'export ', 'KEY', 'é', '\u0000', '-----BEGIN X-----', 'http://', '{"a":', '['];
    const random = seededRandom('fuzz');
    for (let i = 0; i < 300; i++) {
      const bytes = random.bytes(200);
      const input = [...bytes].map((b) => palette[b % palette.length]).join('');
      const result = decoyEnvFile(input, seededRandom(`fuzz-${i}`));
      expect(lineBreaks(result.content)).toEqual(lineBreaks(input));
    }
  });
});
