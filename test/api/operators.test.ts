import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { refundWorkflowId, RefundStatus, type RefundWorkflowState } from '../../workflows/refund.contract';
import { waitForState } from '../helpers/harness';
import { spawnEntry } from '../helpers/processes';
import { createApiHarness, OPERATORS, problemOf, refundPath, type ApiHarness } from './api-harness';

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

/** An identity provider of our own: its discovery document and JWKS on port 0, and tokens signed with its key. */
async function startIssuer() {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid: 'test-key-1', alg: 'ES256', use: 'sig' };
  let fetches = 0;
  const server = http.createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    if (req.url === '/.well-known/openid-configuration') {
      res.end(JSON.stringify({ issuer, jwks_uri: `${issuer}/jwks.json` }));
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
    opts: { audience?: string; expiresIn?: string; key?: CryptoKey } = {},
  ) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'ES256', kid: 'test-key-1' })
      .setIssuer(issuer)
      .setAudience(opts.audience ?? 'refund-orchestrator')
      .setSubject(typeof claims.sub === 'string' ? claims.sub : 'user-1')
      .setIssuedAt()
      .setExpirationTime(opts.expiresIn ?? '5m')
      .sign(opts.key ?? privateKey);
  return { issuer, sign, fetches: () => fetches, close: () => new Promise((r) => server.close(r)) };
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

  it('limits failed authentication per address: after the limit even a good key waits, with Retry-After', async () => {
    const url = await api.serve(api.configWith({ AUTH_FAILURE_LIMIT: '3', AUTH_FAILURE_WINDOW_SECONDS: '60' }));
    const get = (key: string) => fetch(`${url}/refunds?limit=1`, { headers: { Authorization: `Bearer ${key}` } });
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
    assert.equal((await get(api.keys.viewer)).status, 429);
    // The webhook shares the limit: a guessing client cannot switch doors.
    const webhook = await fetch(`${url}/webhooks/bwp`, { method: 'POST', headers: { Authorization: 'Basic eDp5' } });
    assert.equal(webhook.status, 429);
  });
});
