import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import pino from 'pino';
import { CONFIG_VARIABLES, ConfigError, loadConfig, sandboxWanted, withSandboxDefaults } from '../../common/config';
import { policyFromConfig } from '../../common/policy';
import { REDACT_PATHS } from '../../common/logger';

const ROOT = path.join(__dirname, '..', '..');

describe('config', () => {
  it('with no variables set, every default parses (npm start works on a fresh clone)', () => {
    const config = loadConfig({});
    assert.equal(config.API_PORT, 3000);
    assert.equal(config.TEMPORAL_ADDRESS, undefined);
    assert.equal(sandboxWanted(config), true);
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

  it('per-line BwP amounts are off unless configured; npm start running the sandbox turns them on for itself', () => {
    const real = {
      BWP_API_URL: 'https://api.buywithprime.amazon.com/graphql',
      REFUND_API_URL: 'https://store.example.com',
    };
    assert.equal(loadConfig(real).BWP_PER_LINE_AMOUNTS, undefined, 'unset');
    assert.equal(withSandboxDefaults(loadConfig(real)).BWP_PER_LINE_AMOUNTS, undefined, 'no sandbox, nothing changes');
    assert.equal(withSandboxDefaults(loadConfig({})).BWP_PER_LINE_AMOUNTS, true, 'the sandbox models them');
    assert.equal(withSandboxDefaults(loadConfig({ BWP_PER_LINE_AMOUNTS: 'false' })).BWP_PER_LINE_AMOUNTS, false);
    assert.equal(loadConfig({ ...real, BWP_PER_LINE_AMOUNTS: 'true' }).BWP_PER_LINE_AMOUNTS, true);
    assert.throws(
      () => loadConfig({ BWP_PER_LINE_AMOUNTS: 'sometimes' }),
      /BWP_PER_LINE_AMOUNTS: must be true or false/,
    );
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
      { req: { headers: { authorization: 'Bearer s3cret-token' } }, config: { BWP_API_TOKEN: 'tok-123' } },
      'hello',
    );
    const out = lines.join('');
    assert.doesNotMatch(out, /s3cret-token|tok-123/);
    assert.match(out, /\[redacted\]/);
  });
});
