import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import pino from 'pino';
import {
  CONFIG_VARIABLES,
  ConfigError,
  DEVELOPMENT_SECRETS,
  loadConfig,
  PROCESS_SECRETS,
  sandboxWanted,
  SECRET_VARIABLES,
  withSandboxDefaults,
  bwpTokenUrl,
} from '../../common/config';
import { policyFromConfig } from '../../common/policy';
import { REDACT_PATHS } from '../../common/logger';
import { spawnEntry } from '../helpers/processes';

const ROOT = path.join(__dirname, '..', '..');

describe('config', () => {
  it('with no variables set, every default parses (npm start works on a fresh clone)', () => {
    const config = loadConfig({});
    assert.equal(config.API_PORT, 3000);
    assert.equal(config.TEMPORAL_ADDRESS, undefined);
    assert.equal(sandboxWanted(config), true);
    // The measured default (README, "Benchmark": 10,000 parked refunds under 512 MiB); no prebuilt bundle named.
    assert.equal(config.WORKFLOW_CACHE_SIZE, 200);
    assert.equal(config.WORKFLOW_BUNDLE_PATH, undefined);
  });

  it('a bad value fails fast and names the variable and why', () => {
    assert.throws(
      () => loadConfig({ API_PORT: 'eighty', REFUND_RATE_LIMIT_PER_SECOND: '-1', BWP_API_URL: 'not a url' }),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        const named = err.issues.map((i) => i.variable).sort();
        assert.deepEqual(named, ['API_PORT', 'BWP_API_URL', 'REFUND_RATE_LIMIT_PER_SECOND']);
        assert.match(err.message, /BWP_API_URL: must be an absolute URL/);
        return true;
      },
    );
  });

  it('booleans are parsed, not truthy strings', () => {
    assert.equal(loadConfig({ ALLOW_APPEASEMENT: 'false' }).ALLOW_APPEASEMENT, false);
    assert.throws(() => loadConfig({ ALLOW_APPEASEMENT: 'nope' }), /ALLOW_APPEASEMENT: must be true or false/);
  });

  it('the store order is read only with STORE_ORDER_URL; npm start running the sandbox points it at its own', () => {
    const real = {
      BWP_API_URL: 'https://api.buywithprime.amazon.com/graphql',
      REFUND_API_URL: 'https://www.purpledotprice.com',
    };
    assert.equal(loadConfig(real).STORE_ORDER_URL, undefined, 'off by default');
    assert.equal(withSandboxDefaults(loadConfig(real)).STORE_ORDER_URL, undefined, 'no sandbox, nothing changes');
    assert.equal(withSandboxDefaults(loadConfig({})).STORE_ORDER_URL, 'http://127.0.0.1:4020/merchant/orders');
    const own = loadConfig({ STORE_ORDER_URL: 'https://orders.example.com/facts' });
    assert.equal(withSandboxDefaults(own).STORE_ORDER_URL, 'https://orders.example.com/facts');
  });

  it("the token endpoint is /token on BWP_API_URL's host unless BWP_TOKEN_URL says otherwise", () => {
    assert.equal(
      bwpTokenUrl(loadConfig({ BWP_API_URL: 'https://api.buywithprime.amazon.com/graphql' })),
      'https://api.buywithprime.amazon.com/token',
    );
    assert.equal(bwpTokenUrl(loadConfig({})), 'http://127.0.0.1:4010/token');
    assert.equal(
      bwpTokenUrl(loadConfig({ BWP_TOKEN_URL: 'https://auth.example.com/oauth2/token' })),
      'https://auth.example.com/oauth2/token',
    );
  });

  it('reason rules are advisory unless REASON_RULES_BLOCK; the payment method reported is Amazon Pay by default', () => {
    const defaults = policyFromConfig(loadConfig({}));
    assert.equal(defaults.reasonRulesBlock, false);
    assert.deepEqual(defaults.paymentMethod, { type: 'AMAZON_PAY', displayString: 'Amazon Pay' });
    const set = policyFromConfig(loadConfig({ REASON_RULES_BLOCK: 'true', BWP_PAYMENT_METHOD: 'SHOPIFY_PAYMENTS' }));
    assert.equal(set.reasonRulesBlock, true);
    assert.equal(set.paymentMethod?.type, 'SHOPIFY_PAYMENTS');
    assert.throws(() => loadConfig({ BWP_PAYMENT_METHOD: 'CASH' }), /BWP_PAYMENT_METHOD/);
  });

  it('the estimate tolerance and repair additions reach the policy, with their defaults', () => {
    const defaults = policyFromConfig(loadConfig({}));
    assert.deepEqual([defaults.estimateTolerancePerLine, defaults.allowRepairAdditions], [1, false]);
    const set = policyFromConfig(loadConfig({ ESTIMATE_TOLERANCE_PER_LINE: '0', REPAIR_ALLOW_ADDITIONS: 'true' }));
    assert.deepEqual([set.estimateTolerancePerLine, set.allowRepairAdditions], [0, true]);
    assert.throws(
      () => loadConfig({ ESTIMATE_TOLERANCE_PER_LINE: '0.5' }),
      /ESTIMATE_TOLERANCE_PER_LINE: must be a whole/,
    );
    assert.throws(
      () => loadConfig({ ESTIMATE_TOLERANCE_PER_LINE: '-1' }),
      /ESTIMATE_TOLERANCE_PER_LINE: must be 0 or more/,
    );
  });

  it('REASON_MAP must be a JSON object of strings', () => {
    assert.deepEqual(loadConfig({ REASON_MAP: '{"OTHERS":"Other"}' }).REASON_MAP, { OTHERS: 'Other' });
    assert.throws(() => loadConfig({ REASON_MAP: '[1]' }), /REASON_MAP: must be a JSON object/);
  });

  it('pointed at real endpoints, npm start runs no sandbox', () => {
    assert.equal(sandboxWanted(loadConfig({ BWP_API_URL: 'https://api.buywithprime.amazon.com/graphql' })), false);
    assert.equal(
      sandboxWanted(loadConfig({ SANDBOX_ENABLED: 'true', BWP_API_URL: 'https://example.com/graphql' })),
      true,
    );
  });

  it('every variable is documented in .env.example and in the README table', () => {
    const example = fs.readFileSync(path.join(ROOT, '.env.example'), 'utf8');
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    for (const name of CONFIG_VARIABLES) {
      assert.match(example, new RegExp(`^${name}=`, 'm'), `${name} in .env.example`);
      assert.match(readme, new RegExp(`^\\| \`${name}\` `, 'm'), `${name} in the README table`);
    }
    for (const [, name] of example.matchAll(/^([A-Z_]+)=/gm))
      assert.ok(CONFIG_VARIABLES.includes(name as never), `${name} is read`);
  });
});

/** Secrets of production quality for every secret variable. */
const REAL_SECRETS = {
  WEBHOOK_BASIC_PASSWORD: 'a-real-webhook-password-1',
  BWP_CLIENT_ID: 'amzn1.bwp.client.0123456789',
  BWP_CLIENT_SECRET: 'a-real-bwp-client-secret-0123456789',
  REFUND_API_TOKEN: 'a-real-store-token-0123456789',
};

const variablesOf = (fn: () => unknown): string[] => {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.issues.map((i) => i.variable).sort();
    throw err;
  }
  return [];
};

describe('config in production', () => {
  it('refuses every development default secret, naming each variable', () => {
    assert.throws(
      () => loadConfig({ NODE_ENV: 'production' }),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.deepEqual(err.issues.map((i) => i.variable).sort(), [
          'BWP_CLIENT_ID',
          'BWP_CLIENT_SECRET',
          'REFUND_API_TOKEN',
          'WEBHOOK_BASIC_PASSWORD',
        ]);
        assert.match(err.message, /WEBHOOK_BASIC_PASSWORD: is a development default/);
        return true;
      },
    );
    // Set explicitly to a default value is refused just the same.
    for (const value of DEVELOPMENT_SECRETS)
      assert.ok(
        variablesOf(() => loadConfig({ NODE_ENV: 'production', ...REAL_SECRETS, BWP_CLIENT_SECRET: value })).includes(
          'BWP_CLIENT_SECRET',
        ),
        value,
      );
    assert.doesNotThrow(() => loadConfig({ NODE_ENV: 'production', ...REAL_SECRETS }));
    // Development and tests keep their defaults.
    assert.doesNotThrow(() => loadConfig({ NODE_ENV: 'development' }));
  });

  it('refuses any secret shorter than 16 characters, naming the variable', () => {
    for (const name of SECRET_VARIABLES) {
      const env: Record<string, string> = { NODE_ENV: 'production', ...REAL_SECRETS, [name]: 'fifteen-chars!!' };
      if (name === 'WEBHOOK_BEARER_TOKEN') Object.assign(env, { WEBHOOK_AUTH: 'bearer' });
      const named = variablesOf(() => loadConfig(env));
      assert.ok(named.includes(name), `${name}: ${named.join()}`);
    }
    assert.throws(
      () => loadConfig({ NODE_ENV: 'production', ...REAL_SECRETS, REFUND_API_TOKEN: 'fifteen-chars!!' }),
      /REFUND_API_TOKEN: must be at least 16 characters in production/,
    );
  });

  it('asks each process only for the secrets it uses, but checks any secret that is set', () => {
    const worker = { uses: PROCESS_SECRETS.worker };
    assert.doesNotThrow(() =>
      loadConfig(
        {
          NODE_ENV: 'production',
          BWP_CLIENT_ID: REAL_SECRETS.BWP_CLIENT_ID,
          BWP_CLIENT_SECRET: REAL_SECRETS.BWP_CLIENT_SECRET,
          REFUND_API_TOKEN: REAL_SECRETS.REFUND_API_TOKEN,
        },
        worker,
      ),
    );
    assert.deepEqual(
      variablesOf(() =>
        loadConfig({ NODE_ENV: 'production', ...REAL_SECRETS, WEBHOOK_BASIC_PASSWORD: 'dev-webhook-secret' }, worker),
      ),
      ['WEBHOOK_BASIC_PASSWORD'],
    );
  });

  it('chooses the webhook scheme explicitly: bearer needs its token, and a token under basic is refused', () => {
    assert.deepEqual(
      variablesOf(() => loadConfig({ WEBHOOK_AUTH: 'bearer' })),
      ['WEBHOOK_BEARER_TOKEN'],
    );
    assert.throws(
      () => loadConfig({ WEBHOOK_BEARER_TOKEN: 'a-bearer-token-0123456789' }),
      /WEBHOOK_BEARER_TOKEN: is set but WEBHOOK_AUTH=basic/,
    );
    const bearer = loadConfig({ WEBHOOK_AUTH: 'bearer', WEBHOOK_BEARER_TOKEN: 'a-bearer-token-0123456789' });
    assert.equal(bearer.WEBHOOK_AUTH, 'bearer');
    // In production with bearer, the Basic password's default no longer matters; the token does.
    assert.doesNotThrow(() =>
      loadConfig({
        NODE_ENV: 'production',
        ...REAL_SECRETS,
        WEBHOOK_BASIC_PASSWORD: '',
        WEBHOOK_AUTH: 'bearer',
        WEBHOOK_BEARER_TOKEN: 'a-bearer-token-0123456789',
      }),
    );
    assert.throws(() => loadConfig({ WEBHOOK_AUTH: 'both' }), /WEBHOOK_AUTH: must be basic or bearer/);
  });

  it('in production refuses http:// for every external API and OIDC URL, naming it; https and loopback pass', () => {
    const production = (env: Record<string, string>) =>
      variablesOf(() =>
        loadConfig({ NODE_ENV: 'production', ...REAL_SECRETS, OIDC_AUDIENCE: 'refund-orchestrator', ...env }),
      );
    const urls = {
      BWP_API_URL: 'http://api.buywithprime.example/graphql',
      BWP_TOKEN_URL: 'http://api.buywithprime.example/token',
      REFUND_API_URL: 'http://store.example',
      STORE_ORDER_URL: 'http://orders.example/orders',
      OIDC_ISSUER: 'http://id.example',
      OIDC_JWKS_URL: 'http://id.example/jwks',
    };
    assert.deepEqual(production(urls), Object.keys(urls).sort());
    const secure = Object.fromEntries(Object.entries(urls).map(([k, v]) => [k, v.replace('http:', 'https:')]));
    assert.deepEqual(production(secure), []);
    // Loopback aside (a sidecar, a tunnel): 127.0.0.0/8, ::1 and localhost.
    for (const host of ['127.0.0.1', '127.5.6.7', '[::1]', 'localhost'])
      assert.deepEqual(production({ ...secure, BWP_API_URL: `http://${host}:4010/graphql` }), [], host);
    for (const host of ['128.0.0.1', '10.0.0.1', 'localhost.example.com', '[::2]'])
      assert.deepEqual(production({ ...secure, REFUND_API_URL: `http://${host}:4020` }), ['REFUND_API_URL'], host);
    // Outside production the development defaults (the sandbox over http) still run.
    assert.doesNotThrow(() => loadConfig({ ...urls, OIDC_AUDIENCE: 'x' }));
  });

  it('needs an audience with an OIDC issuer', () => {
    assert.deepEqual(
      variablesOf(() => loadConfig({ OIDC_ISSUER: 'https://id.example.com' })),
      ['OIDC_AUDIENCE'],
    );
    assert.deepEqual(
      variablesOf(() => loadConfig({ OIDC_AUDIENCE: 'x' })),
      ['OIDC_ISSUER'],
    );
  });

  it('the API and the worker processes refuse to start in production with the default secrets, naming them', async () => {
    const run = async (entry: string) => {
      const child = spawnEntry(entry, { NODE_ENV: 'production', TEMPORAL_ADDRESS: '127.0.0.1:1' });
      return { code: await child.exited, output: child.output() };
    };
    const api = await run('api/main.ts');
    assert.equal(api.code, 1, api.output);
    assert.match(api.output, /WEBHOOK_BASIC_PASSWORD: is a development default/);
    assert.doesNotMatch(api.output, /BWP_CLIENT/, 'the API never calls Buy with Prime');
    const worker = await run('workers/main.ts');
    assert.equal(worker.code, 1, worker.output);
    assert.match(worker.output, /BWP_CLIENT_SECRET: is a development default/);
    assert.match(worker.output, /BWP_CLIENT_ID: is the development default/);
    assert.match(worker.output, /REFUND_API_TOKEN: is a development default/);
    assert.doesNotMatch(worker.output, /WEBHOOK/);
  });
});

describe('logging', () => {
  it('credentials never reach a log line', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const logger = pino({ redact: { paths: REDACT_PATHS, censor: '[redacted]' } }, sink);
    logger.info(
      { req: { headers: { authorization: 'Bearer s3cret-token' } }, config: { BWP_CLIENT_SECRET: 'tok-123' } },
      'hello',
    );
    const out = lines.join('');
    assert.doesNotMatch(out, /s3cret-token|tok-123/);
    assert.match(out, /\[redacted\]/);
  });
});
