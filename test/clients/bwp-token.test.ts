import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { createBwpTokenSource, DOCUMENTED_TOKEN_LIFETIME_SECONDS } from '../../activities/clients/bwp-token';
import { startStub, type Reply, type StubServer } from './stub-server';

/**
 * Buy with Prime access tokens by OAuth 2.0 client credentials (RFC 6749 §4.4), on real HTTP: what is sent, how long a
 * token is used, one request in flight, and what a refusal is.
 */

const ID = 'client id/1';
const SECRET = 'secret:with&chars';

void describe('BwP token source', () => {
  let stub: StubServer;
  let next: () => Reply;
  let issued = 0;
  let clock = 1_000_000;

  before(async () => {
    stub = await startStub(() => next());
  });
  after(() => stub.close());
  beforeEach(() => {
    stub.requests.length = 0;
    issued = 0;
    clock = 1_000_000;
    next = () => ({ status: 200, body: { access_token: `t${++issued}`, token_type: 'Bearer', expires_in: 900 } });
  });
  const source = () =>
    createBwpTokenSource({
      url: `${stub.url}/token`,
      clientId: ID,
      clientSecret: SECRET,
      timeoutMs: 1500,
      now: () => clock,
    });

  void it('sends a form-encoded client-credentials grant with the client authenticated by HTTP Basic (§2.3.1)', async () => {
    assert.deepEqual(await source().token(), { kind: 'success', value: 't1' });
    const [sent] = stub.requests;
    assert.equal(sent?.method, 'POST');
    assert.equal(sent?.path, '/token');
    assert.match(String(sent?.headers['content-type']), /^application\/x-www-form-urlencoded/);
    assert.equal(sent?.body, 'grant_type=client_credentials');
    const basic = String(sent?.headers.authorization).replace(/^Basic /, '');
    assert.equal(
      Buffer.from(basic, 'base64').toString('utf8'),
      `${encodeURIComponent(ID)}:${encodeURIComponent(SECRET)}`,
    );
  });

  void it('reuses a token until shortly before expires_in ends, then asks once for a new one', async () => {
    const tokens = source();
    assert.equal((await tokens.token()).kind, 'success');
    clock += 800_000; // 800 s into a 900 s token: still more than a minute left
    assert.deepEqual(await tokens.token(), { kind: 'success', value: 't1' });
    clock += 50_000; // 50 s left: refreshed
    assert.deepEqual(await tokens.token(), { kind: 'success', value: 't2' });
    assert.equal(tokens.requests(), 2);
  });

  void it('keeps a proportional margin for short-lived tokens (20 % of a 2 s token)', async () => {
    next = () => ({ status: 200, body: { access_token: `t${++issued}`, token_type: 'bearer', expires_in: 2 } });
    const tokens = source();
    await tokens.token();
    clock += 1_500;
    assert.deepEqual(await tokens.token(), { kind: 'success', value: 't1' });
    clock += 150; // 1.65 s: inside the last 0.4 s
    assert.deepEqual(await tokens.token(), { kind: 'success', value: 't2' });
  });

  void it('takes the documented 15 minutes when expires_in is left out', async () => {
    next = () => ({ status: 200, body: { access_token: `t${++issued}`, token_type: 'Bearer' } });
    const tokens = source();
    await tokens.token();
    clock += (DOCUMENTED_TOKEN_LIFETIME_SECONDS - 61) * 1000;
    assert.deepEqual(await tokens.token(), { kind: 'success', value: 't1' });
  });

  void it('sends one request however many callers want a token at once', async () => {
    next = () => ({
      status: 200,
      body: { access_token: `t${++issued}`, token_type: 'Bearer', expires_in: 900 },
      delayMs: 100,
    });
    const tokens = source();
    const answers = await Promise.all(Array.from({ length: 20 }, () => tokens.token()));
    assert.ok(answers.every((a) => a.kind === 'success' && a.value === 't1'));
    assert.equal(stub.requests.length, 1);
  });

  void it('an invalidated token is replaced at the next call; invalidating an older one changes nothing', async () => {
    const tokens = source();
    await tokens.token();
    tokens.invalidate('not-the-current-one');
    assert.deepEqual(await tokens.token(), { kind: 'success', value: 't1' });
    tokens.invalidate('t1');
    assert.deepEqual(await tokens.token(), { kind: 'success', value: 't2' });
  });

  void it('refused credentials (RFC 6749 §5.2 invalid_client) are rejected UNAUTHORIZED, and asked again next time', async () => {
    next = () => ({ status: 401, body: { error: 'invalid_client' }, headers: { 'www-authenticate': 'Basic' } });
    const tokens = source();
    const outcome = await tokens.token();
    assert.equal(outcome.kind === 'rejected' && outcome.code, 'UNAUTHORIZED');
    assert.match(outcome.kind === 'rejected' ? outcome.message : '', /invalid_client/);
    await tokens.token();
    assert.equal(stub.requests.length, 2);
  });

  void it('a 5xx or an unusable answer is unknown (tried again), never a token', async () => {
    next = () => ({ status: 503 });
    assert.equal((await source().token()).kind, 'unknown');
    next = () => ({ status: 200, body: { access_token: 'x', token_type: 'mac' } });
    assert.equal((await source().token()).kind, 'unknown');
  });
});
