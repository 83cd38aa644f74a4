import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { refundWorkflowId, RefundStatus, type RefundWorkflowState } from '../../workflows/refund.contract';
import { waitForState } from '../helpers/harness';
import { spawnEntry } from '../helpers/processes';
import { createOidcVerifier } from '../../api/oidc';
import { createApiHarness, OPERATORS, problemOf, refundPath, WEBHOOK, type ApiHarness } from './api-harness';

/**
 * Operators are people: each has their own credential (an API key from the keys file, or a token of the company's
 * identity provider), with a role the routes enforce; the audit trail names the credential's owner; removing a key
 * revokes it without a restart; failed authentication is rate-limited.
 */

/** Runs `npm run operator-key -- …` (the CLI itself, as a process) against a keys file. */
async function operatorKey(file: string, ...args: string[]): Promise<{ code: unknown; output: string }> {
  const child = spawnEntry('scripts/operator-key.ts', {}, { args: [...args, '--file', file] });
  const code = await child.exited;
  return { code, output: child.output() };
}

/**
 * An identity provider of our own: its discovery document and JWKS on port 0, and tokens signed with its key. `doc`
 * overrides what the discovery document says (another issuer, another jwks_uri); discovery fetches are counted.
 */
async function startIssuer(doc: { issuer?: string; jwks_uri?: string } = {}) {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid: 'test-key-1', alg: 'ES256', use: 'sig' };
  let fetches = 0;
  let discoveries = 0;
  const server = http.createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    if (req.url === '/.well-known/openid-configuration') {
      discoveries++;
      res.end(JSON.stringify({ issuer, jwks_uri: `${issuer}/jwks.json`, ...doc }));
    } else if (req.url === '/jwks.json') {
      fetches++;
      res.end(JSON.stringify({ keys: [jwk] }));
    } else {
      res.statusCode = 404;
      res.end('{}');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const sign = (
    claims: Record<string, unknown>,
    opts: { audience?: string; expiresIn?: string | null; key?: CryptoKey } = {},
  ) => {
    const jwt = new SignJWT(claims)
      .setProtectedHeader({ alg: 'ES256', kid: 'test-key-1' })
      .setIssuer(issuer)
      .setAudience(opts.audience ?? 'refund-orchestrator')
      .setSubject(typeof claims.sub === 'string' ? claims.sub : 'user-1')
      .setIssuedAt();
    // null: a token without `exp`, which would never expire.
    if (opts.expiresIn !== null) jwt.setExpirationTime(opts.expiresIn ?? '5m');
    return jwt.sign(opts.key ?? privateKey);
  };
  return {
    issuer,
    sign,
    fetches: () => fetches,
    discoveries: () => discoveries,
    close: () => new Promise((r) => server.close(r)),
  };
}

describe('operators: identity, roles, revocation, OIDC, failed-authentication limit', () => {
  let api: ApiHarness;
  let issuer: Awaited<ReturnType<typeof startIssuer>>;
  let oidcUrl: string;
  before(async () => {
    issuer = await startIssuer();
    api = await createApiHarness();
    oidcUrl = await api.serve(
      api.configWith({
        OIDC_ISSUER: issuer.issuer,
        OIDC_AUDIENCE: 'refund-orchestrator',
        OIDC_ROLE_CLAIM: 'realm_access.roles',
      }),
    );
  });
  after(async () => {
    await api?.close();
    await issuer?.close();
  });

  async function parked() {
    const fixture = await api.seed('flat-goodwill-10-usd');
    assert.equal((await api.postEvent(api.eventFor(fixture))).status, 202);
    const workflowId = refundWorkflowId(fixture.bwpOrder.id, fixture.refundId);
    await waitForState(api.client.workflow.getHandle(workflowId), (s) => s.status === RefundStatus.AWAITING_REPAIR);
    return workflowId;
  }

  it('GET /me names the credential’s owner and role', async () => {
    for (const role of ['viewer', 'operator', 'admin'] as const) {
      const res = await api.operator('/me', { as: role });
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), { name: OPERATORS[role], role, via: 'key' });
    }
  });

  it('enforces roles per route: a viewer reads but cannot act; an operator acts but cannot cancel; an admin can', async () => {
    const workflowId = await parked();
    assert.equal((await api.operator(refundPath(workflowId), { as: 'viewer' })).status, 200);
    assert.equal((await api.operator('/refunds?limit=1', { as: 'viewer' })).status, 200);
    const check = await api.operator(refundPath(workflowId, '/repair/check'), {
      as: 'viewer',
      body: { lines: [] },
    });
    assert.equal(check.status, 200);
    for (const [path, body] of [
      ['/repair', { acceptSuggestion: true }],
      ['/decline', { statusReason: 'OTHERS' }],
      ['/resolve', { note: 'x' }],
    ] as const) {
      const res = await api.operator(refundPath(workflowId, path), { as: 'viewer', body });
      assert.equal(res.status, 403, path);
      const problem = await problemOf(res);
      assert.equal(problem.type, '/problems/forbidden');
      assert.match(problem.detail, /needs the operator role; Vera Viewer has viewer/);
    }
    const start = await api.operator('/refunds', { as: 'viewer', body: { orderId: 'o-1', refundId: 'r-1' } });
    assert.equal(start.status, 403);
    const cancel = await api.operator(refundPath(workflowId, '/cancel'), { as: 'operator', body: {} });
    assert.equal(cancel.status, 403);
    assert.match((await problemOf(cancel)).detail, /needs the admin role/);
    const state = (await (await api.operator(refundPath(workflowId))).json()) as RefundWorkflowState;
    assert.equal(state.status, RefundStatus.AWAITING_REPAIR, 'nothing was changed');
    assert.deepEqual(state.audit, []);
    const done = await api.operator(refundPath(workflowId, '/cancel'), { as: 'admin', body: { note: 'duplicate' } });
    assert.equal(done.status, 200);
  });

  it('a key made with the CLI works at once and is shown once; removing it revokes it without a restart', async () => {
    const added = await operatorKey(api.keysFile, 'add', 'Nia New', '--role', 'viewer');
    assert.equal(added.code, 0, added.output);
    const key = /^(rok_\S+)$/m.exec(added.output)?.[1];
    assert.ok(key, added.output);
    const stored = fs.readFileSync(api.keysFile, 'utf8');
    assert.ok(!stored.includes(key), 'only the hash is stored');
    const me = await fetch(`${api.url}/me`, { headers: { Authorization: `Bearer ${key}` } });
    assert.deepEqual(await me.json(), { name: 'Nia New', role: 'viewer', via: 'key' });
    const listed = await operatorKey(api.keysFile, 'list');
    assert.match(listed.output, /viewer\s+\S+\s+Nia New/);
    assert.ok(!listed.output.includes(key));
    const twice = await operatorKey(api.keysFile, 'add', 'Nia New', '--role', 'admin');
    assert.notEqual(twice.code, 0, 'one key per name');

    const removed = await operatorKey(api.keysFile, 'remove', 'Nia New');
    assert.equal(removed.code, 0, removed.output);
    const after = await fetch(`${api.url}/me`, { headers: { Authorization: `Bearer ${key}` } });
    assert.equal(after.status, 401);
    assert.match((await problemOf(after)).detail, /unknown or revoked/);
    // The others still work.
    assert.equal((await api.operator('/me')).status, 200);
  });

  it('accepts an OIDC token verified against the issuer’s JWKS, and records its owner as the operator', async () => {
    const workflowId = await parked();
    const token = await issuer.sign({ sub: 'u-42', email: 'grace@example.com', realm_access: { roles: ['operator'] } });
    const me = await fetch(`${oidcUrl}/me`, { headers: { Authorization: `Bearer ${token}` } });
    assert.deepEqual(await me.json(), { name: 'grace@example.com', role: 'operator', via: 'oidc' });
    const res = await fetch(`${oidcUrl}${refundPath(workflowId, '/decline')}`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ statusReason: 'RETURN_WINDOW_EXPIRED' }),
    });
    assert.equal(res.status, 200, await res.clone().text());
    const body = (await res.json()) as { state: RefundWorkflowState };
    assert.equal(body.state.audit.at(-1)?.operator, 'grace@example.com');
    // API keys keep working beside OIDC.
    assert.equal(
      (await fetch(`${oidcUrl}/me`, { headers: { Authorization: `Bearer ${api.keys.viewer}` } })).status,
      200,
    );
    assert.ok(issuer.fetches() >= 1, 'the keys came from the JWKS endpoint');
  });

  it('refuses an OIDC token that is expired, for another audience, signed by another key, or without a role', async () => {
    const { privateKey: stranger } = await generateKeyPair('ES256');
    const tokens = {
      expired: await issuer.sign({ realm_access: { roles: ['admin'] } }, { expiresIn: '-1m' }),
      audience: await issuer.sign({ realm_access: { roles: ['admin'] } }, { audience: 'another-app' }),
      forged: await issuer.sign({ realm_access: { roles: ['admin'] } }, { key: stranger }),
      roleless: await issuer.sign({ realm_access: { roles: ['superuser'] } }),
      garbage: 'not.a.jwt',
    };
    for (const [what, token] of Object.entries(tokens)) {
      const res = await fetch(`${oidcUrl}/me`, { headers: { Authorization: `Bearer ${token}` } });
      assert.equal(res.status, 401, what);
      assert.equal((await problemOf(res)).type, '/problems/unauthorized', what);
    }
    const viewer = await issuer.sign({ realm_access: { roles: ['viewer'] } });
    const res = await fetch(`${oidcUrl}/refunds`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${viewer}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ orderId: 'o-1', refundId: 'r-1' }),
    });
    assert.equal(res.status, 403, 'the token’s role is enforced like a key’s');
  });

  it('counts only failed authentications, per address and kind of credential: past the limit a bad one gets 429, a good one still passes', async () => {
    const url = await api.serve(api.configWith({ AUTH_FAILURE_LIMIT: '3', AUTH_FAILURE_WINDOW_SECONDS: '60' }));
    const get = (key: string) => fetch(`${url}/refunds?limit=1`, { headers: { Authorization: `Bearer ${key}` } });
    const hook = (authorization: string) =>
      fetch(`${url}/webhooks/bwp`, { method: 'POST', headers: { Authorization: authorization } });
    // Good requests and an operator's own mistakes (400) do not count.
    for (let i = 0; i < 5; i++) assert.equal((await get(api.keys.viewer)).status, 200);
    assert.equal(
      (await fetch(`${url}/refunds?limit=0`, { headers: { Authorization: `Bearer ${api.keys.viewer}` } })).status,
      400,
    );
    for (let i = 0; i < 3; i++) assert.equal((await get('rok_000000000000_wrong')).status, 401);
    const limited = await get('rok_000000000000_wrong');
    assert.equal(limited.status, 429);
    assert.equal((await problemOf(limited)).type, '/problems/too-many-requests');
    assert.ok(Number(limited.headers.get('retry-after')) > 0);
    // The credentials are checked first: a valid key from the same address is never refused.
    assert.equal((await get(api.keys.viewer)).status, 200);
    // The webhook has its own budget: the operators' failures do not lock Buy with Prime out, nor the reverse.
    for (let i = 0; i < 3; i++) assert.equal((await hook('Basic eDp5')).status, 401);
    assert.equal((await hook('Basic eDp5')).status, 429);
    assert.equal((await get('rok_000000000000_wrong')).status, 429);
  });

  it('after 25 bad tokens and 25 bad webhook credentials from one address, a valid webhook and a valid operator key from it get through', async () => {
    // The default budget (AUTH_FAILURE_LIMIT 20), on an app of its own so the other tests keep theirs.
    const url = await api.serve(api.configWith({}));
    const statuses = new Set<number>();
    for (let i = 0; i < 25; i++) {
      const res = await fetch(`${url}/refunds?limit=1`, { headers: { Authorization: `Bearer rok_${i}_wrong` } });
      statuses.add(res.status);
      const hook = await fetch(`${url}/webhooks/bwp`, { method: 'POST', headers: { Authorization: 'Basic eDp5' } });
      statuses.add(hook.status);
    }
    assert.deepEqual([...statuses].sort(), [401, 429], 'the strangers were limited');
    const me = await fetch(`${url}/me`, { headers: { Authorization: `Bearer ${api.keys.operator}` } });
    assert.equal(me.status, 200);
    const fixture = await api.seed('healthy-single-sku');
    const basic = `Basic ${Buffer.from(`${WEBHOOK.user}:${WEBHOOK.password}`).toString('base64')}`;
    const event = await fetch(`${url}/webhooks/bwp`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: basic },
      body: JSON.stringify(api.eventFor(fixture)),
    });
    assert.equal(event.status, 202, await event.clone().text());
    await api.client.workflow.getHandle(refundWorkflowId(fixture.bwpOrder.id, fixture.refundId)).result();
  });

  it('refuses an OIDC token without exp (it would never expire), naming the claim', async () => {
    const token = await issuer.sign({ realm_access: { roles: ['admin'] } }, { expiresIn: null });
    const res = await fetch(`${oidcUrl}/me`, { headers: { Authorization: `Bearer ${token}` } });
    assert.equal(res.status, 401);
    const problem = await problemOf(res);
    assert.match(problem.detail, /exp/);
    assert.equal(problem.errors?.[0]?.field, 'header.authorization');
  });

  it('refuses an OIDC token whose name claim is empty, too long or holds control characters (401 naming the claim); without one, sub names the operator', async () => {
    for (const email of ['', '   ', 'x'.repeat(201), 'a\u0000b']) {
      const token = await issuer.sign({ email, realm_access: { roles: ['operator'] } });
      const res = await fetch(`${oidcUrl}/me`, { headers: { Authorization: `Bearer ${token}` } });
      assert.equal(res.status, 401, JSON.stringify(email));
      const problem = await problemOf(res);
      assert.match(problem.detail, /email claim/, problem.detail);
      assert.match(problem.errors?.[0]?.message ?? '', /email claim/);
    }
    const bySub = await issuer.sign({ sub: 'u-7', realm_access: { roles: ['viewer'] } });
    const me = await fetch(`${oidcUrl}/me`, { headers: { Authorization: `Bearer ${bySub}` } });
    assert.deepEqual(await me.json(), { name: 'u-7', role: 'viewer', via: 'oidc' });
    const longSub = await issuer.sign({ sub: 's'.repeat(150), realm_access: { roles: ['viewer'] } });
    const refused = await fetch(`${oidcUrl}/me`, { headers: { Authorization: `Bearer ${longSub}` } });
    assert.equal(refused.status, 401);
    assert.match((await problemOf(refused)).detail, /sub claim/);
  });

  it('checks the discovery document’s issuer, backs off a failing discovery, and wants an https jwks_uri in production', async () => {
    // A discovery document that names another issuer: the tokens are not trusted (503), and it is not asked again at once.
    const liar = await startIssuer({ issuer: 'https://someone-else.example' });
    try {
      const url = await api.serve(api.configWith({ OIDC_ISSUER: liar.issuer, OIDC_AUDIENCE: 'refund-orchestrator' }));
      const token = await liar.sign({ realm_access: { roles: ['admin'] } });
      for (let i = 0; i < 3; i++) {
        const res = await fetch(`${url}/me`, { headers: { Authorization: `Bearer ${token}` } });
        assert.equal(res.status, 503, `request ${i}`);
        assert.ok(Number(res.headers.get('retry-after')) >= 1);
      }
      assert.equal(liar.discoveries(), 1, 'a failed discovery is backed off, not retried on every request');
    } finally {
      await liar.close();
    }
    // In production a jwks_uri off this machine must be https.
    const plain = await startIssuer({ jwks_uri: 'http://keys.example.invalid/jwks.json' });
    try {
      const oidc = createOidcVerifier({
        issuer: plain.issuer,
        audience: 'refund-orchestrator',
        roleClaim: 'realm_access.roles',
        nameClaim: 'email',
        requireHttps: true,
      });
      const url = await api.serve(api.config, { oidc });
      const token = await plain.sign({ realm_access: { roles: ['admin'] } });
      const res = await fetch(`${url}/me`, { headers: { Authorization: `Bearer ${token}` } });
      assert.equal(res.status, 503);
      assert.equal(plain.fetches(), 0, 'the plain-http key set was never fetched');
    } finally {
      await plain.close();
    }
  });
});
