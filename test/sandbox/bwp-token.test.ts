import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Sandbox } from '../../sandbox';
import { adminGet, bwpHeaders, CLIENT_ID, CLIENT_SECRET, gql, requestToken, startSandbox } from './helpers';

/**
 * The sandbox's token endpoint. Buy with Prime: "you exchange your API credentials for an access token by making a POST
 * request to a Buy with Prime token endpoint", and "Buy with Prime access tokens expire every 15 minutes"
 * (https://documents.buywithprime.amazon.com/bwp-api/docs/authenticate-to-the-buy-with-prime-api); the exchange itself
 * is OAuth 2.0's client credentials grant (RFC 6749 §4.4, §2.3.1, §5.1, §5.2).
 */

let sandbox: Sandbox;
before(async () => {
  sandbox = await startSandbox();
});
after(() => sandbox.close());

const ANY_ORDER = '{ order(orderIdentifier: { orderId: "nope" }) { id } }';

async function graphqlWith(target: Sandbox, token: string) {
  const res = await fetch(target.bwpUrl, {
    method: 'POST',
    headers: bwpHeaders(token),
    body: JSON.stringify({ query: ANY_ORDER }),
  });
  return { status: res.status, body: (await res.json()) as { errors?: { extensions: { errorType: string } }[] } };
}

void describe('BwP simulator: POST /token (client credentials grant)', () => {
  void it('issues a bearer token for HTTP Basic credentials (§2.3.1), with expires_in and Cache-Control: no-store', async () => {
    const res = await requestToken(sandbox, { via: 'basic' });
    assert.equal(res.status, 200);
    assert.deepEqual(Object.keys(res.body).sort(), ['access_token', 'expires_in', 'token_type']);
    assert.equal(res.body.token_type, 'Bearer');
    assert.equal(res.body.expires_in, 900, 'the documented 15 minutes by default');
    assert.match(res.body.access_token, /^[A-Za-z0-9_-]{32,}$/);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    assert.equal((await graphqlWith(sandbox, res.body.access_token)).status, 200);
  });

  void it('issues a token for client_id and client_secret in the form body too', async () => {
    const res = await requestToken(sandbox, { via: 'body' });
    assert.equal(res.status, 200);
    assert.equal((await graphqlWith(sandbox, res.body.access_token)).status, 200);
  });

  void it('form-decodes Basic credentials (a secret with reserved characters)', async () => {
    const odd = await startSandbox({ bwpClientId: 'client:id', bwpClientSecret: 'sécret +/=&%' });
    try {
      const res = await requestToken(odd, { clientId: 'client:id', clientSecret: 'sécret +/=&%' });
      assert.equal(res.status, 200, JSON.stringify(res.body));
    } finally {
      await odd.close();
    }
  });

  void it('issues a new random token on every request, each valid', async () => {
    const a = await requestToken(sandbox);
    const b = await requestToken(sandbox);
    assert.notEqual(a.body.access_token, b.body.access_token);
    assert.equal((await graphqlWith(sandbox, a.body.access_token)).status, 200);
    assert.equal((await graphqlWith(sandbox, b.body.access_token)).status, 200);
  });

  void it('answers 401 invalid_client with WWW-Authenticate: Basic to a wrong secret sent as Basic', async () => {
    const res = await requestToken(sandbox, { clientSecret: 'wrong' });
    assert.equal(res.status, 401);
    assert.equal(res.body.error, 'invalid_client');
    assert.match(res.headers.get('www-authenticate') ?? '', /^Basic/);
  });

  void it('answers 401 invalid_client to a wrong secret or client id in the body, and to no credentials', async () => {
    const wrongSecret = await requestToken(sandbox, { via: 'body', clientSecret: 'wrong' });
    assert.deepEqual([wrongSecret.status, wrongSecret.body.error], [401, 'invalid_client']);
    const wrongId = await requestToken(sandbox, { via: 'body', clientId: 'someone-else' });
    assert.deepEqual([wrongId.status, wrongId.body.error], [401, 'invalid_client']);
    const none = await requestToken(sandbox, { via: 'none' });
    assert.deepEqual([none.status, none.body.error], [401, 'invalid_client']);
  });

  void it('answers 400 unsupported_grant_type to another grant type', async () => {
    const res = await requestToken(sandbox, { form: { grant_type: 'authorization_code' } });
    assert.equal(res.status, 400);
    assert.equal(res.body.error, 'unsupported_grant_type');
  });

  void it('answers 400 invalid_request without grant_type, to a JSON body, and to two authentication methods', async () => {
    const noGrant = await fetch(sandbox.bwpTokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: CLIENT_ID, client_secret: CLIENT_SECRET }).toString(),
    });
    assert.equal(noGrant.status, 400);
    assert.equal(((await noGrant.json()) as { error: string }).error, 'invalid_request');

    const json = await fetch(sandbox.bwpTokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ grant_type: 'client_credentials', client_id: CLIENT_ID, client_secret: CLIENT_SECRET }),
    });
    assert.equal(json.status, 400);
    assert.equal(((await json.json()) as { error: string }).error, 'invalid_request');

    const both = await requestToken(sandbox, { form: { client_id: CLIENT_ID, client_secret: CLIENT_SECRET } });
    assert.deepEqual([both.status, both.body.error], [400, 'invalid_request']);
  });

  void it('ignores scope', async () => {
    const res = await requestToken(sandbox, { form: { scope: 'orders:read whatever' } });
    assert.equal(res.status, 200);
  });

  void it('refuses a token after its lifetime with 401 AccessDeniedError', async () => {
    const shortLived = await startSandbox({ bwpTokenLifetimeSeconds: 1 });
    try {
      const res = await requestToken(shortLived);
      assert.equal(res.body.expires_in, 1);
      assert.equal((await graphqlWith(shortLived, res.body.access_token)).status, 200);
      await new Promise((r) => setTimeout(r, 1100));
      const expired = await graphqlWith(shortLived, res.body.access_token);
      assert.equal(expired.status, 401);
      assert.equal(expired.body.errors?.[0]?.extensions.errorType, 'AccessDeniedError');
      const fresh = await requestToken(shortLived);
      assert.equal((await graphqlWith(shortLived, fresh.body.access_token)).status, 200, 'a new token works');
    } finally {
      await shortLived.close();
    }
  });

  void it('refuses a token another sandbox issued (tokens are not guessable or shared)', async () => {
    const other = await startSandbox();
    try {
      const foreign = await requestToken(other);
      assert.equal((await graphqlWith(sandbox, foreign.body.access_token)).status, 401);
    } finally {
      await other.close();
    }
  });

  void it('counts issued and active tokens in GET /admin/tokens, and logs token requests', async () => {
    const counted = await startSandbox({ bwpTokenLifetimeSeconds: 1 });
    try {
      assert.deepEqual((await adminGet(counted.bwpAdminUrl, '/tokens')).body, { issued: 0, active: 0 });
      await requestToken(counted);
      await requestToken(counted, { via: 'body' });
      await requestToken(counted, { clientSecret: 'wrong' });
      await gql(counted, ANY_ORDER); // the helper asks for one more
      assert.deepEqual((await adminGet(counted.bwpAdminUrl, '/tokens')).body, { issued: 3, active: 3 });
      await new Promise((r) => setTimeout(r, 1100));
      assert.deepEqual((await adminGet(counted.bwpAdminUrl, '/tokens')).body, { issued: 3, active: 0 });
      assert.deepEqual(
        counted.state.bwp
          .requests()
          .filter((r) => r.path === '/token')
          .map((r) => r.status),
        [200, 200, 401, 200],
      );
    } finally {
      await counted.close();
    }
  });
});
