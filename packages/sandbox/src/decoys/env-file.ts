/**
 * Decoy versions of a project's real `.env` files. The real file must never enter the sandbox, but
 * its absence (or an empty stand-in) would both break plausibility and hide the best tripwire we
 * have: a stealer that reads `.env` and sends it somewhere. So the sandbox gets a file with the same
 * keys, comments and layout, and fresh values of the same shape.
 *
 * The input is the user's real secret file and is treated as hostile text (any line endings, any
 * quoting, megabyte lines): nothing here throws on it, nothing is quadratic in it, and no real value
 * is copied. The only things copied verbatim are structure: keys, `export`, quotes, separators,
 * whitespace, line endings, `${VAR}` references, escapes, PEM armour lines, URL schemes, token
 * prefixes such as `sk_live_`, well-known ports and public provider host suffixes, universal
 * constants (`localhost`), and comment prose made of plain words. Booleans get a random boolean,
 * which may equal the real one: a single bit that is not a secret.
 */
import type { DecoyValue } from '@safe-install/schema';
import {
  BASE32,
  BASE62,
  BASE64,
  BASE64URL,
  DIGITS,
  HEX_LOWER,
  HEX_UPPER,
  LOWER,
  UPPER,
  bufferedRandom,
  cryptoRandom,
  pick,
  randomBetween,
  randomString,
  type RandomSource,
} from './random.js';
import { githubToken, npmToken, type GithubTokenPrefix } from './tokens.js';
import { countTelltales, pronounceable, scrubTelltales } from './words.js';

/** The decoy file and the decoy values planted in it. */
export interface DecoyEnvFile {
  content: string;
  /** Distinctive decoy values (kind `env-file-value`), for the run's decoy index. */
  values: DecoyValue[];
}

/** Key line: optional `export`, a dotenv key, then `=` or `: ` (dotenv accepts both). */
const ASSIGNMENT = /^(\s*)(export\s+)?([\w.-]+)(\s*=\s*|\s*:[ \t]+)/;
const EXPORT_ONLY = /^\s*export\s+[\w.-]+\s*$/;
const COMMENTED_ASSIGNMENT = /^(\s*)(export\s+)?([A-Za-z_][\w.-]*)(\s*=\s*)/;
/** Kept verbatim inside values: `${VAR}`, `$VAR`, backslash escapes and line breaks. */
const STRUCTURAL = /\$\{[A-Za-z_][A-Za-z0-9_]*\}|\$[A-Z_][A-Z0-9_]*|\\[nrt"'`\\$]|\r\n|\r|\n/g;
const PEM_ARMOR = /(-----(?:BEGIN|END)[A-Z0-9 ]{0,64}-----)/;
const URL_PREFIX = /^[A-Za-z][A-Za-z0-9+.-]{0,30}:\/\//;
const JWT = /^eyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;
const EMAIL = /^[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})+$/;
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const GITHUB_CLASSIC = /^(gh[pousr])_[A-Za-z0-9]{36}$/;
const GITHUB_FINE_GRAINED = /^github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59}$/;
const NPM_TOKEN = /^npm_[A-Za-z0-9]{36}$/;
const AWS_KEY_ID = /^(AKIA|ASIA|AIDA|AROA|AGPA|ANPA|ANVA|AIPA|APKA|ABIA|ACCA)[A-Z2-7]{16}$/;
/** Issuer prefixes without a `_`/`-` boundary the generic rule could find. */
const KNOWN_PREFIX = /^(AIza|SG\.|ya29\.|EAA|xox[abposr]-|glpat-|hf_|shpat_|shpss_|sk-proj-|sk-ant-|sk-|dckr_pat_|pypi-)/;
/** Lower-case prefix segments such as `sk_live_` or `whsec_` ahead of a random part. */
const GENERIC_PREFIX = /^((?:[a-z]{1,10}[_-]){1,3})(.+)$/s;

/** Not secrets anywhere, and replacing them would make the file look wrong. */
const KEEP_CONSTANTS = new Set([
  'localhost', '127.0.0.1', '0.0.0.0', '::1', '[::1]', 'host.docker.internal', 'service_account',
  'authorized_user', 'external_account', 'null', 'undefined', 'none', '*',
]);
const WELL_KNOWN_PORTS = new Set([
  '21', '22', '25', '53', '80', '443', '465', '587', '993', '1433', '1521', '2181', '3000', '3306',
  '4222', '5000', '5432', '5672', '6379', '8000', '8080', '8443', '9000', '9092', '9200', '11211', '27017',
]);
/** Public hosts that are the same for everyone (OAuth endpoints and the like): kept whole. */
const PUBLIC_HOSTS = new Set([
  'accounts.google.com', 'oauth2.googleapis.com', 'www.googleapis.com', 'api.github.com', 'github.com',
  'api.stripe.com', 'hooks.slack.com', 'api.openai.com', 'api.sendgrid.com',
  'login.microsoftonline.com', 'sts.amazonaws.com', 'gmail.com', 'googlemail.com', 'outlook.com',
  'hotmail.com', 'yahoo.com', 'icloud.com', 'proton.me', 'protonmail.com', 'users.noreply.github.com',
]);
/** Provider suffixes kept on hosts; the labels in front of them (the customer's part) are replaced. */
const PROVIDER_SUFFIXES = [
  'rds.amazonaws.com', 'cache.amazonaws.com', 's3.amazonaws.com', 'amazonaws.com', 'cloudfront.net',
  'iam.gserviceaccount.com', 'gserviceaccount.com', 'mongodb.net', 'database.windows.net', 'redis.cache.windows.net', 'azurewebsites.net', 'windows.net',
  'azure.com', 'googleapis.com', 'firebaseio.com', 'supabase.co', 'neon.tech', 'upstash.io',
  'herokuapp.com', 'sentry.io', 'redislabs.com', 'redis-cloud.com', 'elastic-cloud.com', 'vercel.app',
  'fly.dev', 'render.com', 'railway.app', 'psdb.cloud', 'cockroachlabs.cloud', 'confluent.cloud',
  'algolia.net', 'github.com', 'gitlab.com', 'slack.com', 'auth0.com', 'okta.com',
];
const KEPT_TLDS = new Set([
  'com', 'net', 'org', 'io', 'dev', 'app', 'co', 'ai', 'cloud', 'internal', 'local', 'lan', 'corp',
  'tech', 'uk', 'de', 'fr', 'nl', 'eu', 'us', 'ca', 'au', 'jp', 'in', 'br', 'es', 'it', 'se', 'ch',
]);

/** JSON fields that describe a format rather than hold data (JWT headers, credential files). */
const JSON_FORMAT_KEYS = new Set(['alg', 'typ', 'cty', 'enc', 'type', 'kty', 'use', 'crv']);

interface VocabularyClass {
  recognise: readonly string[];
  emit: readonly string[];
  /** Booleans: any member may come out, including the input's (one bit, not a secret). */
  free?: boolean;
}

const AWS_REGIONS = [
  'us-east-1', 'us-east-2', 'us-west-1', 'us-west-2', 'eu-west-1', 'eu-west-2', 'eu-west-3', 'eu-central-1',
  'eu-north-1', 'ap-southeast-1', 'ap-southeast-2', 'ap-northeast-1', 'ap-south-1', 'ca-central-1', 'sa-east-1',
];
/** Enumerations whose real members are not secrets: the decoy is another member of the same set. */
const VOCABULARY: readonly VocabularyClass[] = [
  { recognise: ['true', 'false'], emit: ['true', 'false'], free: true },
  { recognise: ['yes', 'no'], emit: ['yes', 'no'], free: true },
  { recognise: ['on', 'off'], emit: ['on', 'off'], free: true },
  { recognise: ['enabled', 'disabled'], emit: ['enabled', 'disabled'], free: true },
  {
    recognise: ['production', 'staging', 'development', 'preview', 'testing', 'sandbox', 'integration'],
    emit: ['production', 'staging', 'development', 'preview'],
  },
  { recognise: ['prod', 'stg', 'stage', 'dev', 'qa', 'uat', 'test', 'local', 'ci'], emit: ['prod', 'stg', 'dev', 'qa', 'uat'] },
  {
    recognise: ['trace', 'debug', 'info', 'warn', 'warning', 'error', 'fatal', 'silent', 'verbose', 'notice'],
    emit: ['debug', 'info', 'warn', 'error'],
  },
  { recognise: ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'], emit: ['disable', 'prefer', 'require', 'verify-full'] },
  { recognise: ['json', 'text', 'pretty', 'logfmt'], emit: ['json', 'text', 'pretty'] },
  { recognise: AWS_REGIONS, emit: AWS_REGIONS },
];

/**
 * A decoy of a real `.env` file: same keys, comments, quoting and line endings; fresh values of the
 * same shape. Never throws on any input.
 *
 * @param content the real file's text
 * @param random randomness (seed it for reproducible tests)
 * @param plantedAt the decoy's absolute path in the sandbox, recorded in each returned value
 */
export function decoyEnvFile(content: string, random: RandomSource = cryptoRandom, plantedAt?: string): DecoyEnvFile {
  const decoyer = new EnvDecoyer(bufferedRandom(random));
  const text = decoyer.file(content);
  const values = [...decoyer.planted].map((value): DecoyValue => ({
    kind: 'env-file-value',
    value,
    plantedAt: plantedAt === undefined ? [] : [plantedAt],
  }));
  return { content: text, values };
}

/** Finds line ends without rescanning: one cached position per break character. */
class LineBreaks {
  private nextCr = -2;
  private nextLf = -2;

  constructor(private readonly text: string) {}

  /** Index of the first `\r` or `\n` at or after `from`, or the text's length. */
  find(from: number): number {
    if (this.nextCr !== -1 && this.nextCr < from) this.nextCr = this.text.indexOf('\r', from);
    if (this.nextLf !== -1 && this.nextLf < from) this.nextLf = this.text.indexOf('\n', from);
    const candidates = [this.nextCr, this.nextLf].filter((i) => i !== -1);
    return candidates.length === 0 ? this.text.length : Math.min(...candidates);
  }
}

function caseLike(model: string, word: string): string {
  if (model.length > 1 && model === model.toUpperCase() && model !== model.toLowerCase()) return word.toUpperCase();
  const first = model.charAt(0);
  if (first !== first.toLowerCase() && model.slice(1) === model.slice(1).toLowerCase()) {
    return word.charAt(0).toUpperCase() + word.slice(1);
  }
  return word;
}

/** A long token-like string: no spaces, a random-looking charset, digits or mixed case. */
function looksRandom(s: string): boolean {
  if (s.length < 16 || !/^[A-Za-z0-9+/=_-]+$/.test(s)) return false;
  const hasDigit = /\d/.test(s);
  const mixedCase = /[a-z]/.test(s) && /[A-Z]/.test(s);
  return (hasDigit && /[A-Za-z]/.test(s)) || mixedCase;
}

/**
 * Values worth indexing: long enough that seeing one elsewhere is evidence, not coincidence. The
 * index holds atomic values (a password, a token, a host's own labels), not composites whose
 * structure is shared with every other value of their kind.
 */
function distinctive(value: string): boolean {
  return value.length >= 8 && /[A-Za-z0-9]/.test(value) && !/^\d{1,11}$/.test(value);
}

class EnvDecoyer {
  /** Decoy values to index. */
  readonly planted = new Set<string>();
  /** The same real value gets the same decoy everywhere in the file, as a real file would. */
  private readonly memo = new Map<string, string>();
  /** Above zero while decoying inside an encoding (a JWT), whose parts are not indexed on their own. */
  private encoded = 0;
  /** Per quote character: a position after which that quote never closes (keeps scanning linear). */
  private readonly unclosedFrom = new Map<string, number>();

  constructor(private readonly random: RandomSource) {}

  file(text: string): string {
    const out: string[] = [];
    const breaks = new LineBreaks(text);
    let pos = 0;
    while (pos < text.length) {
      let end = breaks.find(pos);
      const line = text.slice(pos, end);
      const assignment = ASSIGNMENT.exec(line);
      if (assignment) {
        const [prefix, indent = '', exported = '', key = '', separator = ''] = assignment;
        out.push(indent, exported, this.key(key), separator);
        const valueStart = pos + prefix.length;
        const quote = text.charAt(valueStart);
        const close = quote === '"' || quote === "'" || quote === '`' ? this.closingQuote(text, valueStart + 1, quote) : -1;
        if (close !== -1) {
          out.push(quote, this.value(text.slice(valueStart + 1, close)), quote);
          end = breaks.find(close + 1);
          out.push(this.afterValue(text.slice(close + 1, end)));
        } else {
          out.push(this.unquoted(text.slice(valueStart, end)));
        }
      } else if (line.trim() === '' || EXPORT_ONLY.test(line)) {
        out.push(line);
      } else if (line.trimStart().startsWith('#')) {
        const hash = line.indexOf('#');
        out.push(line.slice(0, hash), this.comment(line.slice(hash)));
      } else {
        // Not something dotenv reads, but it may still hold a secret: keep only its shape.
        out.push(this.generic(line));
      }
      pos = end;
      if (pos < text.length) {
        const lineBreak = text.startsWith('\r\n', pos) ? '\r\n' : text.charAt(pos);
        out.push(lineBreak);
        pos += lineBreak.length;
      }
    }
    return out.join('');
  }

  /**
   * Keys are structure and stay, unless a "key" is really a stray secret that happens to be
   * followed by `=` (a base64 line): mixed case and digits with no separator is not a key name.
   */
  private key(key: string): string {
    if (key.length >= 16 && !/[_.-]/.test(key) && /[a-z]/.test(key) && /[A-Z]/.test(key)) return this.generic(key);
    return key;
  }

  /** dotenv's rule: a quote closes at the next unescaped same quote, possibly lines later. */
  private closingQuote(text: string, from: number, quote: string): number {
    const never = this.unclosedFrom.get(quote);
    if (never !== undefined && from >= never) return -1;
    for (let i = from; i < text.length; i++) {
      const c = text.charAt(i);
      if (c === '\\' && text.charAt(i + 1) === quote) i++;
      else if (c === quote) return i;
    }
    this.unclosedFrom.set(quote, from);
    return -1;
  }

  /** An unquoted value, with an optional ` # comment` (a `#` right after text is part of the value). */
  private unquoted(raw: string): string {
    const commentAt = /\s#/.exec(raw);
    const valuePart = commentAt ? raw.slice(0, commentAt.index + 1) : raw;
    const comment = commentAt ? raw.slice(commentAt.index + 1) : '';
    const core = valuePart.trimEnd();
    return this.value(core) + valuePart.slice(core.length) + (comment === '' ? '' : this.comment(comment));
  }

  /** What follows a closing quote: whitespace and a comment, or junk that keeps only its shape. */
  private afterValue(rest: string): string {
    const body = rest.trimStart();
    const space = rest.slice(0, rest.length - body.length);
    if (body === '') return rest;
    return space + (body.startsWith('#') ? this.comment(body) : this.generic(body));
  }

  /**
   * A comment (starting with `#`). Commented-out assignments get decoy values like live ones;
   * prose keeps its plain words, and any word that could carry a secret (digits, inner capitals,
   * long, URL- or assignment-like) is replaced.
   */
  private comment(comment: string): string {
    const body = comment.slice(1);
    const assignment = COMMENTED_ASSIGNMENT.exec(body);
    if (assignment) {
      const rest = body.slice(assignment[0].length);
      const quote = rest.charAt(0);
      const quoted = rest.length >= 2 && (quote === '"' || quote === "'") && rest.endsWith(quote);
      const value = quoted ? quote + this.value(rest.slice(1, -1)) + quote : this.unquoted(rest);
      return `#${assignment[0]}${value}`;
    }
    return `#${body.replace(/\S+/g, (word) => (this.riskyWord(word) ? this.value(word) : word))}`;
  }

  private riskyWord(word: string): boolean {
    return (
      word.length >= 16 ||
      /\d/.test(word) ||
      /[a-z][A-Z]/.test(word) ||
      /[:=@/]\S/.test(word) ||
      // Non-ASCII mixed with letters or digits may be a password; a lone dash or quote is not.
      (/[^\x20-\x7e]/.test(word) && /[A-Za-z0-9]/.test(word))
    );
  }

  /**
   * The decoy of one value. It must differ from the real one (unless there is nothing to vary) and
   * must not introduce a tell-tale word; both are rare, so a redraw settles them.
   */
  private value(real: string): string {
    const known = this.memo.get(real);
    if (known !== undefined) return known;
    let decoy = real;
    for (let attempt = 0; attempt < 20; attempt++) {
      const found: string[] = [];
      decoy = this.scalar(real, found);
      const unchangedOk = decoy !== real || !/[A-Za-z0-9]/.test(real) || this.keptAsIs(real);
      if (unchangedOk && countTelltales(decoy) <= countTelltales(real)) {
        // Inside a JWT a value only exists base64-encoded with its neighbours: the JWT is indexed.
        if (this.encoded === 0) for (const value of found) this.planted.add(value);
        break;
      }
    }
    this.memo.set(real, decoy);
    return decoy;
  }

  private keptAsIs(real: string): boolean {
    const lower = real.toLowerCase();
    return KEEP_CONSTANTS.has(lower) || VOCABULARY.some((c) => c.free === true && c.recognise.includes(lower));
  }

  /** Classify a value by shape and produce a decoy of the same shape; `found` collects index entries. */
  private scalar(s: string, found: string[]): string {
    if (s === '' || KEEP_CONSTANTS.has(s.toLowerCase())) return s;
    if (PEM_ARMOR.test(s)) return this.note(found, this.pem(s));
    if (URL_PREFIX.test(s) && !/\s/.test(s)) return this.url(s, found);
    STRUCTURAL.lastIndex = 0;
    if (!STRUCTURAL.test(s)) {
      const word = this.vocabulary(s);
      if (word !== null) return word;
      if (ISO_DATE.test(s)) {
        // Reshaped digits would give month 63; a date stays a plausible date.
        const pad = (n: number): string => String(n).padStart(2, '0');
        return `${randomBetween(this.random, 2019, 2026)}-${pad(randomBetween(this.random, 1, 12))}-${pad(randomBetween(this.random, 1, 28))}`;
      }
      if (JWT.test(s)) {
        const jwt = this.jwt(s);
        // The header is the same in every JWT of its algorithm: the random signature is the needle.
        if (jwt !== null) {
          const signature = jwt.slice(jwt.lastIndexOf('.') + 1);
          this.note(found, signature.length >= 16 ? signature : jwt);
          return jwt;
        }
      }
      const json = this.json(s);
      // Its leaves were indexed one by one; the whole would be mostly the real file's keys.
      if (json !== null) return json;
      if (EMAIL.test(s)) {
        const at = s.lastIndexOf('@');
        const local = this.note(found, this.generic(s.slice(0, at)));
        return `${local}@${this.host(s.slice(at + 1), found)}`;
      }
      const token = this.token(s);
      if (token !== null) return this.note(found, token);
    }
    return this.note(found, this.preserving(s, (chunk) => this.generic(chunk)));
  }

  private note(found: string[], value: string): string {
    if (distinctive(value)) found.push(value);
    return value;
  }

  private vocabulary(s: string): string | null {
    const lower = s.toLowerCase();
    const cls = VOCABULARY.find((c) => c.recognise.includes(lower));
    if (!cls) return null;
    const choices = cls.free === true ? cls.emit : cls.emit.filter((w) => w !== lower);
    return caseLike(s, pick(this.random, choices));
  }

  /** Tokens with a recognisable issuer format get a new token of that format (checksums included). */
  private token(s: string): string | null {
    const github = GITHUB_CLASSIC.exec(s);
    if (github) return githubToken(github[1] as GithubTokenPrefix, this.random);
    if (NPM_TOKEN.test(s)) return npmToken(this.random);
    if (GITHUB_FINE_GRAINED.test(s)) {
      return `github_pat_${this.randomIn(BASE62, 22)}_${this.randomIn(BASE62, 59)}`;
    }
    const aws = AWS_KEY_ID.exec(s);
    if (aws) return (aws[1] as string) + this.randomIn(BASE32, 16);
    if (UUID.test(s)) {
      // Every position is a hex digit (a letters-only group must not become a pronounceable word).
      const alphabet = s === s.toUpperCase() ? HEX_UPPER : HEX_LOWER;
      return s.replace(/[0-9a-fA-F]/g, () => this.randomIn(alphabet, 1));
    }
    const known = KNOWN_PREFIX.exec(s);
    if (known) return known[0] + this.randomLike(s.slice(known[0].length));
    const prefixed = GENERIC_PREFIX.exec(s);
    if (prefixed && looksRandom(prefixed[2] ?? '')) return (prefixed[1] as string) + this.randomLike(prefixed[2] as string);
    if (looksRandom(s)) return this.randomLike(s);
    return null;
  }

  private randomIn(alphabet: string, length: number): string {
    return scrubTelltales(randomString(this.random, alphabet, length), this.random);
  }

  /** A random string of the same length over the same charset (base64 keeps its `=` padding). */
  private randomLike(s: string): string {
    if (/^[0-9a-f]+$/.test(s)) return this.randomIn(HEX_LOWER, s.length);
    if (/^[0-9A-F]+$/.test(s)) return this.randomIn(HEX_UPPER, s.length);
    if (/^[A-Za-z0-9]+$/.test(s)) return this.randomIn(BASE62, s.length);
    const padded = /^([A-Za-z0-9+/]+)(=*)$/.exec(s);
    if (padded) return this.randomIn(BASE64, (padded[1] as string).length) + (padded[2] as string);
    const urlSafe = /^([A-Za-z0-9_-]+)(=*)$/.exec(s);
    if (urlSafe && looksRandom(s)) return this.randomIn(BASE64URL, (urlSafe[1] as string).length) + (urlSafe[2] as string);
    return this.preserving(s, (chunk) => this.generic(chunk));
  }

  /**
   * Shape-preserving replacement: every run of letters and digits becomes a run of the same length
   * and kind (short words stay pronounceable, numbers stay numbers, long mixed runs become random
   * over the same classes); punctuation and spaces stay; non-ASCII becomes letters.
   */
  private generic(text: string): string {
    return text.replace(/[A-Za-z0-9]+|[^\x00-\x7f\u2028\u2029]+/g, (run) => this.run(run));
  }

  private run(run: string): string {
    if (/[^\x00-\x7f]/.test(run)) return pronounceable(this.random, [...run].length);
    const n = run.length;
    if (/^\d+$/.test(run)) {
      const first = n > 1 && run.charAt(0) !== '0' ? this.randomIn('123456789', 1) : this.randomIn(DIGITS, 1);
      return first + this.randomIn(DIGITS, n - 1);
    }
    if (n <= 12 && /^[a-z]+$/.test(run)) return pronounceable(this.random, n);
    if (n <= 12 && /^[A-Z][a-z]*$/.test(run)) return caseLike(run, pronounceable(this.random, n));
    if (n <= 12 && /^[A-Z]+$/.test(run)) return pronounceable(this.random, n).toUpperCase();
    if (/^[0-9a-f]+$/.test(run)) return this.randomIn(HEX_LOWER, n);
    if (/^[0-9A-F]+$/.test(run)) return this.randomIn(HEX_UPPER, n);
    const alphabet = (/[a-z]/.test(run) ? LOWER : '') + (/[A-Z]/.test(run) ? UPPER : '') + (/\d/.test(run) ? DIGITS : '');
    return this.randomIn(alphabet, n);
  }

  /** Apply `transform` between structural tokens (`${VAR}`, escapes, line breaks), which stay. */
  private preserving(s: string, transform: (chunk: string) => string): string {
    const out: string[] = [];
    let last = 0;
    STRUCTURAL.lastIndex = 0;
    for (let m = STRUCTURAL.exec(s); m !== null; m = STRUCTURAL.exec(s)) {
      if (m.index > last) out.push(transform(s.slice(last, m.index)));
      out.push(m[0]);
      last = m.index + m[0].length;
    }
    if (last < s.length) out.push(transform(s.slice(last)));
    return out.join('');
  }

  /** PEM: armour lines stay, base64 bodies become random base64 of the same layout. */
  private pem(s: string): string {
    return s
      .split(PEM_ARMOR)
      .map((part, i) =>
        i % 2 === 1
          ? part
          : this.preserving(part, (chunk) => chunk.replace(/[A-Za-z0-9+/]+/g, (run) => this.randomIn(BASE64, run.length))),
      )
      .join('');
  }

  /**
   * URLs keep their scheme and layout: credentials become random of the same shape, hosts become
   * other hosts of the same kind, uncommon ports other ports, query keys stay and values are decoyed.
   */
  private url(s: string, found: string[]): string {
    const scheme = URL_PREFIX.exec(s)?.[0] ?? '';
    const rest = s.slice(scheme.length);
    const authorityEnd = rest.search(/[/?#]/);
    const authority = authorityEnd === -1 ? rest : rest.slice(0, authorityEnd);
    const tail = authorityEnd === -1 ? '' : rest.slice(authorityEnd);
    const at = authority.lastIndexOf('@');
    let userinfo = '';
    if (at !== -1) {
      const info = authority.slice(0, at);
      const colon = info.indexOf(':');
      const user = colon === -1 ? info : info.slice(0, colon);
      const userDecoy = looksRandom(user) ? this.randomLike(user) : this.preserving(user, (c) => this.generic(c));
      if (looksRandom(user)) found.push(userDecoy);
      userinfo = userDecoy;
      if (colon !== -1) {
        const password = info.slice(colon + 1);
        const passwordDecoy = this.memo.get(password) ?? this.randomLike(password);
        this.memo.set(password, passwordDecoy);
        if (passwordDecoy !== password && passwordDecoy.length >= 6 && !passwordDecoy.includes('$')) found.push(passwordDecoy);
        userinfo += `:${passwordDecoy}`;
      }
      userinfo += '@';
    }
    let keepPath = true;
    const hosts = authority
      .slice(at + 1)
      .split(',')
      .map((hostPort) => {
        const portMatch = /^(.*?)(:\d{1,5})?$/s.exec(hostPort);
        const host = portMatch?.[1] ?? hostPort;
        const port = portMatch?.[2] ?? '';
        if (!PUBLIC_HOSTS.has(host.toLowerCase())) keepPath = false;
        const portDecoy = port === '' || WELL_KNOWN_PORTS.has(port.slice(1)) ? port : `:${this.run(port.slice(1))}`;
        return this.host(host, found) + portDecoy;
      })
      .join(',');
    // Parts are indexed, not the whole: scheme, ports and provider suffixes are shared with every
    // other URL of the kind, and the matcher also matches pieces of long values.
    return scheme + userinfo + hosts + this.urlTail(tail, keepPath);
  }

  /** Path (kept for public endpoints, else reshaped), query keys kept with decoy values, fragment reshaped. */
  private urlTail(tail: string, keepPath: boolean): string {
    const q = tail.indexOf('?');
    const h = tail.indexOf('#');
    const pathEnd = Math.min(q === -1 ? tail.length : q, h === -1 ? tail.length : h);
    const path = tail.slice(0, pathEnd);
    let out = keepPath ? path : this.preserving(path, (c) => this.generic(c));
    if (q !== -1 && (h === -1 || q < h)) {
      const query = tail.slice(q + 1, h === -1 ? tail.length : h);
      out += `?${query
        .split('&')
        .map((pair) => {
          const eq = pair.indexOf('=');
          return eq === -1 ? pair : `${pair.slice(0, eq + 1)}${this.value(pair.slice(eq + 1))}`;
        })
        .join('&')}`;
    }
    if (h !== -1) out += `#${this.generic(tail.slice(h + 1))}`;
    return out;
  }

  /** A host of the same kind: loopback stays, IPs stay in their private range, domains keep their suffix. */
  private host(host: string, found: string[]): string {
    const lower = host.toLowerCase();
    if (host === '' || KEEP_CONSTANTS.has(lower) || PUBLIC_HOSTS.has(lower)) return host;
    if (host.includes('$')) return this.preserving(host, (c) => this.generic(c));
    const ip = IPV4.exec(host);
    if (ip) {
      const [a, b] = [Number(ip[1]), Number(ip[2])];
      if (a === 127) return host;
      const octet = (): number => randomBetween(this.random, 0, 255);
      const last = randomBetween(this.random, 1, 254);
      if (a === 172 && b >= 16 && b <= 31) return `172.${randomBetween(this.random, 16, 31)}.${octet()}.${last}`;
      if (a === 192 && b === 168) return `192.168.${octet()}.${last}`;
      // Public addresses become private ones: a decoy must never point at someone else's machine.
      return `10.${octet()}.${octet()}.${last}`;
    }
    const labels = host.split('.');
    const suffix = PROVIDER_SUFFIXES.find((p) => lower === p || lower.endsWith(`.${p}`));
    let keep = suffix === undefined ? 0 : suffix.split('.').length;
    if (keep === 0 && labels.length > 1 && KEPT_TLDS.has((labels[labels.length - 1] ?? '').toLowerCase())) keep = 1;
    if (keep === labels.length) return host;
    const replaced = labels.slice(0, labels.length - keep).map((label) => this.vocabulary(label) ?? this.generic(label));
    // Only the replaced labels are indexed: a kept suffix such as `rds.amazonaws.com` is in every
    // other customer's host names too.
    this.note(found, replaced.join('.'));
    return [...replaced, ...labels.slice(labels.length - keep)].join('.');
  }

  /** JWT: header and payload keep their claims and layout with decoy values; random signature. */
  private jwt(s: string): string | null {
    const [header = '', payload = '', signature = ''] = s.split('.');
    const decode = (part: string): string | null => this.json(Buffer.from(part, 'base64url').toString('utf8'));
    this.encoded++;
    let h: string | null;
    let p: string | null;
    try {
      h = decode(header);
      p = decode(payload);
    } finally {
      this.encoded--;
    }
    if (h === null || p === null) return null;
    const encode = (text: string): string => Buffer.from(text, 'utf8').toString('base64url');
    return `${encode(h)}.${encode(p)}.${this.randomIn(BASE64URL, signature.length)}`;
  }

  /**
   * A JSON document: every string and number value is replaced in place, so keys, order, spacing
   * and line breaks stay exactly as they were. Fields that name a format (`alg`, `type`) stay.
   */
  private json(s: string): string | null {
    const trimmed = s.trim();
    if (!(trimmed.startsWith('{') && trimmed.endsWith('}')) && !(trimmed.startsWith('[') && trimmed.endsWith(']'))) return null;
    try {
      JSON.parse(s);
    } catch {
      return null;
    }
    // On valid JSON this tokenizer is exact: strings are matched whole before anything inside them.
    let key: string | null = null;
    return s.replace(/"(?:[^"\\]|\\.)*"(\s*:)?|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|\btrue\b|\bfalse\b/g, (token, colon?: string) => {
      if (colon !== undefined) {
        key = JSON.parse(token.slice(0, token.length - colon.length)) as string;
        return token;
      }
      const owner = key;
      key = null;
      if (token === 'true' || token === 'false') return this.vocabulary(token) ?? token;
      if (!token.startsWith('"')) {
        // Digits only: sign, point and exponent stay, so the number stays valid JSON.
        return token.replace(/\d+/g, (digits) => this.run(digits));
      }
      if (owner !== null && JSON_FORMAT_KEYS.has(owner)) return token;
      return JSON.stringify(this.value(JSON.parse(token) as string));
    });
  }
}