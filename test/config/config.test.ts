import { join, resolve } from 'node:path';
import {
  checkConfig,
  checkConfigText,
  ConfigError,
  describeConfig,
  hashPassword,
  loadConfig,
  parseScryptHash,
  verifyPassword,
  type Config,
} from '../../src/config';
import { ValidationError } from '../../src/errors';
import {
  FIVE_MISTAKES,
  TEST_HMAC,
  TEST_KEY,
  TEST_LOCAL_TOKEN,
  TEST_WEB_TOKEN,
  fiveMistakes,
  minimalConfig,
  minimalEnv,
  toYaml,
  workDir,
  writeDemoSecrets,
} from './support';

const repo = resolve(__dirname, '../..');

let wd: ReturnType<typeof workDir>;
beforeEach(() => {
  wd = workDir();
});
afterEach(() => wd.cleanup());

function check(config: unknown, env: NodeJS.ProcessEnv = minimalEnv()) {
  return checkConfigText(toYaml(config), { env, cwd: wd.dir });
}

function load(config: unknown, env: NodeJS.ProcessEnv = minimalEnv()): Config {
  const path = wd.write('passerelle.yaml', toYaml(config));
  return loadConfig({ path, env, cwd: wd.dir });
}

function deeplyFrozen(v: unknown): boolean {
  if (typeof v !== 'object' || v === null) return true;
  return Object.isFrozen(v) && Object.values(v).every(deeplyFrozen);
}

describe('the default configuration', () => {
  it('is valid once the demo has written its secret files, relative to the working directory', () => {
    writeDemoSecrets(wd.write);
    const config = loadConfig({ path: join(repo, 'config/default.yaml'), env: {}, cwd: wd.dir });

    expect(config.redis).toEqual({ url: 'redis://127.0.0.1:6379', prefix: 'passerelle' });
    expect(config.sne.url).toBe('http://127.0.0.1:7801');
    expect(config.spta[0]).toMatchObject({ id: '35', profile: 'ille-et-vilaine', url: 'http://127.0.0.1:7802' });
    expect(config.local.url).toBe('http://127.0.0.1:7803');
    expect(config.web.port).toBe(8080);
    expect(config.local.token).toBe(TEST_LOCAL_TOKEN);
    expect(config.crypto.keys[0]?.secret).toBe(TEST_KEY);
    expect(config.events.hmacSecret).toBe(TEST_HMAC);
    expect(config.web.tokens[0]?.token).toBe(TEST_WEB_TOKEN);
    expect(config.dispatch.dropDir).toBe(join(wd.dir, '.passerelle/dispatch/in'));
  });

  it('names the missing secret files by path when the demo has not written them', () => {
    const { issues } = checkConfig({ path: join(repo, 'config/default.yaml'), env: {}, cwd: wd.dir });
    expect(issues.map((i) => [i.path, i.rule])).toEqual([
      ['local.token', 'secret-file'],
      ['crypto.keys[0].secret', 'secret-file'],
      ['events.hmacSecret', 'secret-file'],
      ['web.tokens[0].token', 'secret-file'],
    ]);
  });

  it('leaves only missing TLS files and unset secrets in the production example', () => {
    const { issues } = checkConfig({ path: join(repo, 'config/example.yaml'), env: {}, cwd: wd.dir });
    expect(issues.length).toBeGreaterThan(0);
    expect(new Set(issues.map((i) => i.rule))).toEqual(new Set(['file-readable', 'secret-env', 'secret-file']));
  });
});

describe('loading a configuration', () => {
  it('returns a deeply frozen configuration with the defaults filled in', () => {
    const config = load(minimalConfig());
    expect(deeplyFrozen(config)).toBe(true);
    expect(config.sne).toMatchObject({ timeoutMs: 30000, interfaceVersion: '02.01', numUniqueCheck: 'warn' });
    expect(config.spta).toEqual([]);
    expect(config.schedules.timezone).toBe('Europe/Paris');
    expect(config.dispatch).toMatchObject({ dropDir: join(wd.dir, '.passerelle/dispatch/in'), stableMs: 2000 });
    expect(config.events.timestampToleranceSeconds).toBe(300);
    expect(config.web).toMatchObject({ port: 8080, host: '127.0.0.1', users: [], tokens: [] });
    expect(config.runs.keep).toBe(200);
    expect(config.logging).toEqual({ level: 'info', format: 'auto' });
    expect(config.ledger).toEqual({});
  });

  it('reports all five mistakes of a file at once, each with its path and rule', () => {
    wd.write('client.key', 'fake key');
    const { config, issues } = check(fiveMistakes());
    expect(config).toBeUndefined();
    expect(issues.map(({ path, rule }) => ({ path, rule }))).toEqual(FIVE_MISTAKES);
  });

  it('throws a permanent ConfigError carrying every problem', () => {
    wd.write('client.key', 'fake key');
    let thrown: unknown;
    try {
      load(fiveMistakes());
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    expect(thrown).toBeInstanceOf(ValidationError);
    const err = thrown as ConfigError;
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.errorClass).toBe('permanent');
    expect(err.issues).toHaveLength(5);
    expect(err.message).toContain('spta[1].profile');
  });

  it('never echoes a literal secret or a bad value in its messages', () => {
    const c = minimalConfig();
    c.local.token = 'literal-token-in-the-file';
    c.redis.url = 'http://user:hunter2-password@redis.example';
    const { issues } = check(c);
    expect(JSON.stringify(issues)).not.toMatch(/literal-token-in-the-file|hunter2/);
  });

  it('reports a file it cannot read, and a YAML syntax error by position without quoting the line', () => {
    expect(checkConfig({ path: 'absent.yaml', env: {}, cwd: wd.dir }).issues).toEqual([
      { path: '', rule: 'file-readable', message: expect.stringContaining('ENOENT') },
    ]);
    const { issues } = checkConfigText('redis:\n  url: "redis://x\n  token: s3cret-value: [\n', { env: {}, cwd: wd.dir });
    expect(issues.length).toBeGreaterThan(0);
    expect(issues[0]).toMatchObject({ path: '', rule: 'yaml', message: expect.stringMatching(/line \d+, column \d+/) });
    expect(JSON.stringify(issues)).not.toContain('s3cret-value');
  });

  it('reports an alias or merge-key bomb as one issue, through check and load alike, instead of throwing', () => {
    const names = 'abcdefghi';
    const laughs = ['a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]', ...[...names.slice(1)].map((n, i) => `${n}: &${n} [${Array(9).fill(`*${names[i]!}`).join(', ')}]`)];
    const merges = ['x: &x { a: 1 }', ...Array.from({ length: 200 }, (_, i) => `y${i}: &y${i} { <<: [${i ? `*y${i - 1}` : '*x'}, *x] }`)];
    for (const bomb of [laughs, merges]) {
      const text = `${toYaml(minimalConfig())}${bomb.join('\n')}\n`;
      const issue = { path: '', rule: 'yaml-alias-limit', message: expect.stringContaining('too many alias expansions') };
      expect(checkConfigText(text, { env: minimalEnv(), cwd: wd.dir })).toEqual({ issues: [issue] });
      const path = wd.write('bomb.yaml', text);
      expect(checkConfig({ path, env: minimalEnv(), cwd: wd.dir }).issues).toEqual([issue]);
      let thrown: unknown;
      try {
        loadConfig({ path, env: minimalEnv(), cwd: wd.dir });
      } catch (e) {
        thrown = e;
      }
      expect(thrown).toBeInstanceOf(ConfigError);
      expect((thrown as ConfigError).issues).toEqual([issue]);
    }
  });

  it('reads anchors and aliases of an ordinary file, and reports an alias without its anchor without naming it', () => {
    const yaml = toYaml(minimalConfig());
    const aliased = yaml.replace('url: http://127.0.0.1:7801', 'url: &sim http://127.0.0.1:7801').replace('url: http://127.0.0.1:7803', 'url: *sim');
    const { config, issues } = checkConfigText(aliased, { env: minimalEnv(), cwd: wd.dir });
    expect(issues).toEqual([]);
    expect(config?.local.url).toBe('http://127.0.0.1:7801');
    const dangling = checkConfigText(yaml.replace('url: http://127.0.0.1:7803', 'url: *secretAnchorName'), { env: minimalEnv(), cwd: wd.dir });
    expect(dangling).toEqual({ issues: [{ path: '', rule: 'yaml-alias', message: expect.any(String) }] });
    expect(JSON.stringify(dangling)).not.toContain('secretAnchorName');
  });

  it('reports unknown keys (typos) with their full path', () => {
    const c = minimalConfig();
    c.sne.timeoutMS = 10;
    c.spta = [{ id: 'a', profile: 'p', url: 'http://127.0.0.1:1', rateLimit: { max: 1, duration: 5 } }];
    const { issues } = check(c);
    expect(issues).toEqual([
      { path: 'sne.timeoutMS', rule: 'unknown-key', message: expect.any(String) },
      { path: 'spta[0].rateLimit.duration', rule: 'unknown-key', message: expect.any(String) },
    ]);
  });

  it('lists every required key missing from an empty file', () => {
    const paths = checkConfigText('', { env: {}, cwd: wd.dir }).issues.map((i) => `${i.path} ${i.rule}`);
    expect(paths).toEqual(
      expect.arrayContaining([
        'redis required',
        'sne required',
        'local required',
        'territory required',
        'crypto required',
        'events required',
      ]),
    );
  });

  it('asks for codes as quoted strings, since YAML reads 01 as the number 1', () => {
    const c = minimalConfig();
    c.territory = { department: 1, delaiAnormalementLongMonths: 24, communes: [35238] };
    const { issues } = check(c);
    expect(issues.map((i) => i.path)).toEqual(['territory.department', 'territory.communes[0]']);
    expect(issues[0]?.message).toMatch(/quoted string/);
  });

  it('accepts department codes of Corsica and overseas, and rejects others', () => {
    for (const department of ['2A', '2B', '974', '01', '95']) {
      expect(check({ ...minimalConfig(), territory: { department, delaiAnormalementLongMonths: 12 } }).issues).toEqual([]);
    }
    for (const department of ['00', '2C', '96', '123', 'AB']) {
      const { issues } = check({ ...minimalConfig(), territory: { department, delaiAnormalementLongMonths: 12 } });
      expect(issues.map((i) => `${i.path} ${i.rule}`)).toEqual(['territory.department department']);
    }
  });
});

describe('environment overrides', () => {
  it('override redis.url, sne.url, local.url, local.token and web.port', () => {
    const config = load(minimalConfig(), {
      ...minimalEnv(),
      REDIS_URL: 'redis://10.0.0.5:6380',
      PASSERELLE_SNE_URL: 'https://sne.example/services/DemandeLogementImplService/',
      PASSERELLE_LOCAL_URL: 'https://local.example/api',
      PASSERELLE_LOCAL_TOKEN: '  token-from-env  ',
      PASSERELLE_WEB_PORT: '9090',
    });
    expect(config.redis.url).toBe('redis://10.0.0.5:6380');
    expect(config.sne.url).toBe('https://sne.example/services/DemandeLogementImplService/');
    expect(config.local.url).toBe('https://local.example/api');
    expect(config.local.token).toBe('token-from-env');
    expect(config.web.port).toBe(9090);
  });

  it('ignore empty variables', () => {
    const config = load(minimalConfig(), { ...minimalEnv(), REDIS_URL: '', PASSERELLE_WEB_PORT: '' });
    expect(config.redis.url).toBe('redis://127.0.0.1:6379');
    expect(config.web.port).toBe(8080);
  });

  it('name the variable when its value is wrong', () => {
    const { issues } = check(minimalConfig(), { ...minimalEnv(), PASSERELLE_WEB_PORT: 'eighty', REDIS_URL: 'nope' });
    expect(issues).toEqual([
      { path: 'redis.url', rule: 'url', message: expect.stringContaining('(from REDIS_URL)') },
      { path: 'web.port', rule: 'type', message: expect.stringContaining('(from PASSERELLE_WEB_PORT)') },
    ]);
  });

  it('supply local.token when the file has none', () => {
    const c = minimalConfig();
    delete c.local.token;
    expect(load(c, { ...minimalEnv(), PASSERELLE_LOCAL_TOKEN: 'abc' }).local.token).toBe('abc');
    expect(check(c).issues.map((i) => [i.path, i.rule])).toEqual([['local.token', 'required']]);
  });
});

describe('secrets', () => {
  it('resolves { env } and { file } references, trimmed, files relative to the working directory', () => {
    wd.write('secrets/hmac', `\n${TEST_HMAC}\n\n`);
    const c = minimalConfig();
    c.events.hmacSecret = { file: 'secrets/hmac' };
    const config = load(c, { ...minimalEnv(), T_LOCAL_TOKEN: ` ${TEST_LOCAL_TOKEN}\n` });
    expect(config.events.hmacSecret).toBe(TEST_HMAC);
    expect(config.local.token).toBe(TEST_LOCAL_TOKEN);
  });

  it('reports an unset variable, an absent file, a literal and a malformed reference at their paths', () => {
    const c = minimalConfig();
    c.local.token = { env: 'UNSET_VAR' };
    c.events.hmacSecret = { file: 'no/such/file' };
    c.crypto.keys = [{ id: 'k1', secret: 'bGl0ZXJhbA==' }];
    c.web = { tokens: [{ name: 'ci', token: { env: 'A', file: 'b' }, role: 'viewer' }] };
    const { issues } = check(c, {});
    expect(issues.map((i) => [i.path, i.rule])).toEqual([
      ['local.token', 'secret-env'],
      ['crypto.keys[0].secret', 'secret-ref'],
      ['events.hmacSecret', 'secret-file'],
      ['web.tokens[0].token', 'secret-ref'],
    ]);
    expect(issues[0]?.message).toContain('UNSET_VAR');
  });

  it('requires AES keys of 32 bytes in base64, and HMAC secrets and tokens of 32 characters', () => {
    const c = minimalConfig();
    c.web = { tokens: [{ name: 'ci', token: { env: 'SHORT' }, role: 'viewer' }] };
    const { issues } = check(c, {
      ...minimalEnv(),
      T_KEY: Buffer.alloc(16, 1).toString('base64'),
      T_HMAC: 'short',
      SHORT: 'short',
    });
    expect(issues.map((i) => [i.path, i.rule])).toEqual([
      ['crypto.keys[0].secret', 'aes-256-key'],
      ['events.hmacSecret', 'secret-length'],
      ['web.tokens[0].token', 'secret-length'],
    ]);
  });

  it('are masked by describeConfig, as are URL credentials, password hashes and webhook paths', async () => {
    const c = minimalConfig();
    c.alerts = { webhookUrl: 'https://chat.example/hooks/T000/B000/XXXXSECRETPATH' };
    c.web = {
      users: [{ name: 'ops', passwordHash: await hashPassword('pw', { ln: 10 }), role: 'operator' }],
      tokens: [{ name: 'ci', token: { env: 'T_TOKEN' }, role: 'viewer' }],
    };
    const config = load(c, {
      ...minimalEnv(),
      T_TOKEN: TEST_WEB_TOKEN,
      REDIS_URL: 'redis://default:redis-pass-123@10.0.0.5:6379/0?password=q-secret',
    });
    const shown = JSON.stringify(describeConfig(config));
    for (const secret of [TEST_KEY, TEST_HMAC, TEST_LOCAL_TOKEN, TEST_WEB_TOKEN, 'redis-pass-123', 'q-secret', 'SECRETPATH']) {
      expect(shown).not.toContain(secret);
    }
    expect(shown).not.toContain(config.web.users[0]!.passwordHash);
    const d = describeConfig(config) as any;
    expect(d.local.token).toBe('***');
    expect(d.redis.url).toBe('redis://***@10.0.0.5:6379/0');
    expect(d.alerts.webhookUrl).toBe('https://chat.example/***');
    expect(d.sne.url).toBe('http://127.0.0.1:7801');
  });
});

describe('rules zod alone cannot check', () => {
  it('checks cron expressions, lets a schedule be disabled, and checks the time zone', () => {
    const c = minimalConfig();
    c.schedules = { radiees: false, dalo: null, localEvents: 'off', reconcile: '0 3 * * *', dispatchScan: '*/5 * * * * *' };
    const config = load(c);
    expect(config.schedules).toMatchObject({
      radiees: null,
      dalo: null,
      localEvents: null,
      reconcile: '0 3 * * *',
      dispatchScan: '*/5 * * * * *',
    });
    expect(load(minimalConfig()).schedules.radiees).toEqual(expect.any(String)); // absent: the default

    c.schedules = { reconcile: '0 25 * * *', dalo: 12, timezone: 'Europe/Nowhere' };
    expect(check(c).issues.map((i) => [i.path, i.rule])).toEqual([
      ['schedules.dalo', 'type'],
      ['schedules.reconcile', 'cron'],
      ['schedules.timezone', 'timezone'],
    ]);
  });

  it('checks that TLS files exist and are readable, and resolves them to absolute paths', () => {
    wd.write('tls/client.crt', 'CERT');
    wd.write('tls/client.key', 'KEY');
    const c = minimalConfig();
    c.sne = { ...c.sne, url: 'https://sne.example/ws', tls: { cert: 'tls/client.crt', key: 'tls/client.key' } };
    expect(load(c).sne.tls).toEqual({ cert: join(wd.dir, 'tls/client.crt'), key: join(wd.dir, 'tls/client.key') });

    c.sne.tls = { cert: 'tls/client.crt', key: 'tls', ca: 'tls/ca.pem' };
    expect(check(c).issues.map((i) => [i.path, i.rule])).toEqual([
      ['sne.tls.key', 'file-readable'],
      ['sne.tls.ca', 'file-readable'],
    ]);
  });

  it('refuses TLS material on a plain http URL', () => {
    wd.write('c', 'x');
    const c = minimalConfig();
    c.sne = { ...c.sne, tls: { cert: 'c', key: 'c' } };
    expect(check(c).issues.map((i) => [i.path, i.rule])).toEqual([['sne.url', 'tls-needs-https']]);
  });

  it('checks URLs and their protocols', () => {
    const c = minimalConfig();
    c.redis.url = 'http://127.0.0.1:6379';
    c.local.url = 'not a url';
    c.alerts = { webhookUrl: 'ftp://example.org/x' };
    expect(check(c).issues.map((i) => [i.path, i.rule])).toEqual([
      ['redis.url', 'url'],
      ['local.url', 'url'],
      ['alerts.webhookUrl', 'url'],
    ]);
  });

  it('requires unique ids and the url or folder that each SPTA transport needs', () => {
    const c = minimalConfig();
    c.spta = [
      { id: '35', profile: 'ille-et-vilaine', url: 'http://127.0.0.1:7802' },
      { id: '35', profile: 'ille-et-vilaine', transport: 'files' },
      { id: '22', profile: 'cotes-d-armor' },
    ];
    expect(check(c).issues.map((i) => [i.path, i.rule])).toEqual([
      ['spta[1].id', 'unique'],
      ['spta[1].dropDir', 'required'],
      ['spta[2].url', 'required'],
    ]);
    c.spta = [{ id: '35', profile: 'ille-et-vilaine', transport: 'files', dropDir: 'spta/in' }];
    expect(load(c).spta[0]?.dropDir).toBe(join(wd.dir, 'spta/in'));
  });

  it('requires the active key among the keys, and unique key ids, user names and token names', async () => {
    const c = minimalConfig();
    c.crypto = {
      keys: [
        { id: 'k1', secret: { env: 'T_KEY' } },
        { id: 'k1', secret: { env: 'T_KEY' } },
      ],
      activeKeyId: 'k2',
    };
    const passwordHash = await hashPassword('pw', { ln: 10 });
    c.web = {
      users: [
        { name: 'ops', passwordHash, role: 'operator' },
        { name: 'ops', passwordHash, role: 'viewer' },
      ],
      tokens: [
        { name: 't', token: { env: 'T_HMAC' }, role: 'viewer' },
        { name: 't', token: { env: 'T_HMAC' }, role: 'viewer' },
      ],
    };
    expect(check(c).issues.map((i) => [i.path, i.rule])).toEqual([
      ['crypto.keys[1].id', 'unique'],
      ['crypto.activeKeyId', 'key-exists'],
      ['web.users[1].name', 'unique'],
      ['web.tokens[1].name', 'unique'],
      ['web.tokens[1].token', 'unique'],
    ]);
  });

  it('checks cross-field rules even when other fields are wrong', () => {
    const c = minimalConfig();
    c.redis = 'not an object';
    c.crypto.activeKeyId = 'k2';
    c.queues = { backoff: { baseMs: 5000, maxMs: 1000 } };
    c.dispatch = { dropDir: 'd', doneDir: 'd' };
    expect(check(c).issues.map((i) => [i.path, i.rule])).toEqual([
      ['redis', 'type'],
      ['dispatch.doneDir', 'distinct-dirs'],
      ['queues.backoff.baseMs', 'range'],
      ['crypto.activeKeyId', 'key-exists'],
    ]);
  });

  it('refuses a password that is not an scrypt hash in PHC format', () => {
    const c = minimalConfig();
    c.web = { users: [{ name: 'ops', passwordHash: 'plain-password', role: 'admin' }] };
    const { issues } = check(c);
    expect(issues.map((i) => [i.path, i.rule])).toEqual([
      ['web.users[0].passwordHash', 'scrypt-hash'],
      ['web.users[0].role', 'one-of'],
    ]);
    expect(JSON.stringify(issues)).not.toContain('plain-password');
  });
});

describe('password hashes', () => {
  it('verify the password they were made from, and only it', async () => {
    const hash = await hashPassword('correct horse', { ln: 10 });
    expect(parseScryptHash(hash)).toMatchObject({ ln: 10, r: 8, p: 1 });
    await expect(verifyPassword('correct horse', hash)).resolves.toBe(true);
    await expect(verifyPassword('wrong horse', hash)).resolves.toBe(false);
    await expect(verifyPassword('x', 'not-a-hash')).resolves.toBe(false);
  });
});
