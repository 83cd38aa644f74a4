import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  createBwpClient,
  createBwpTokenSource,
  createRefundClient,
  type BwpTokenSource,
  type RefundClient,
} from '../../activities/clients';
import { RefundStatus, SEARCH_ATTRIBUTES } from '../../workflows/refund.contract';
import { createHarness, TOKENS, waitForState, type Harness } from '../helpers/harness';

/**
 * The service against simulators held to the published references, the way a merchant runs it: Buy with Prime access
 * tokens that expire (here every 2 s), credentials either API refuses, and throttling without Retry-After. Everything
 * on a real Temporal server, real workers and the sandbox over real HTTP; calls are counted from the sandbox's logs.
 */

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Gaps between consecutive timestamps. */
const gaps = (times: number[]) => times.slice(1).map((t, i) => t - times[i]!);

describe('short-lived Buy with Prime tokens', () => {
  let h: Harness;
  before(async () => {
    h = await createHarness({ bwpTokenLifetimeSeconds: 2 });
  });
  after(async () => {
    await h?.close();
  });

  it('20 refunds over 5 s with tokens living 2 s all finish, no call is refused, and the token requests stay bounded', async () => {
    const started = Date.now();
    // Started 250 ms apart, so that the run spans several tokens' lives.
    const refunds = [];
    for (let i = 0; i < 20; i++) {
      refunds.push(await h.startRefund(i % 2 ? 'healthy-single-sku' : 'healthy-multi-sku'));
      await sleep(250);
    }
    const results = await Promise.all(refunds.map((r) => r.handle.result()));
    const elapsedMs = Date.now() - started;
    assert.deepEqual(
      results.map((r) => r.status),
      results.map(() => RefundStatus.REFUNDED),
    );
    const calls = h.sandbox.state.bwp.requests().filter((r) => r.path === '/graphql');
    const refused = calls.filter((r) => r.status === 401 || r.status === 403);
    assert.equal(refused.length, 0, `no call refused (${calls.length} GraphQL calls)`);
    const tokenRequests = h.tokens.requests();
    // One token serves every activity of the process until the last fifth of its life: about one per 1.6 s.
    const bound = Math.ceil(elapsedMs / 1600) + 2;
    console.log(
      `tokens: ${tokenRequests} token requests for ${calls.length} GraphQL calls of 20 refunds in ${elapsedMs} ms (bound ${bound})`,
    );
    assert.ok(tokenRequests >= 2, 'tokens expired and were replaced during the run');
    assert.ok(tokenRequests <= bound, `${tokenRequests} token requests > ${bound}`);
  });
});

/** Short waits while credentials are refused, so the test sees several attempts. */
const CREDENTIAL_WAITS = { credentialsRetryInitialMs: 400, credentialsRetryMaxMs: 3_000 };

describe('credentials an API refuses', () => {
  let h: Harness;
  let bwpTokens: BwpTokenSource;
  let storeClient: RefundClient;
  const wrongTokens = (sandboxTokenUrl: string) =>
    createBwpTokenSource({
      url: sandboxTokenUrl,
      clientId: TOKENS.bwpClientId,
      clientSecret: 'a-secret-the-console-revoked',
      timeoutMs: 2000,
    });

  before(async () => {
    h = await createHarness({
      // Both clients delegate to whichever the test installs, so credentials can be broken and then fixed.
      wrapClients: (clients, sandbox) => {
        bwpTokens = clients.tokens;
        storeClient = clients.refunds;
        const tokens: BwpTokenSource = {
          token: (o) => bwpTokens.token(o),
          invalidate: (t) => bwpTokens.invalidate(t),
          requests: () => bwpTokens.requests(),
        };
        const bwp = createBwpClient({
          url: sandbox.bwpUrl,
          tokens,
          targetId: TOKENS.businessProductId,
          apiVersion: '2024-11-01',
          timeoutMs: 3000,
        });
        return { ...clients, tokens, bwp, refunds: { submitRefund: (req, o) => storeClient.submitRefund(req, o) } };
      },
    });
  });
  after(async () => {
    await h?.close();
  });

  it('Buy with Prime refusing the credentials flags CREDENTIALS_REJECTED and retries with growing waits, then goes on once fixed', async () => {
    const good = bwpTokens;
    bwpTokens = wrongTokens(h.sandbox.bwpTokenUrl);
    const tokenCalls = () => h.sandbox.state.bwp.requests().filter((r) => r.path === '/token' && r.status === 401);
    const before = tokenCalls().length;
    let handle;
    try {
      // The worker's timing comes with the order, which cannot be read yet: the waits are the workflow input's.
      ({ handle } = await h.startRefund('healthy-single-sku', { timing: CREDENTIAL_WAITS }));
      const flagged = await waitForState(handle, (s) =>
        (s.attentions ?? []).some((a) => a.reason === 'CREDENTIALS_REJECTED'),
      );
      assert.equal(flagged.needsAttention, true);
      const described = await handle.describe();
      assert.deepEqual(described.typedSearchAttributes.get(SEARCH_ATTRIBUTES.attention), ['CREDENTIALS_REJECTED']);
      await sleep(5_000);
      const refused = tokenCalls().slice(before);
      const g = gaps(refused.map((r) => r.at));
      console.log(`bwp credentials refused: ${refused.length} token requests in about 5 s, gaps ${g.join(', ')} ms`);
      // 400 ms doubling to 3 s: a handful of attempts, never a tight loop.
      assert.ok(refused.length >= 3 && refused.length <= 8, `${refused.length} token requests`);
      assert.ok(g.at(-1)! > g[0]!, `the waits grow: ${g.join(', ')}`);
    } finally {
      bwpTokens = good;
    }
    const result = await handle.result();
    assert.equal(result.status, RefundStatus.REFUNDED);
    const after = await handle.describe();
    assert.deepEqual(after.typedSearchAttributes.get(SEARCH_ATTRIBUTES.attention) ?? [], [], 'the flag cleared');
  });

  it('the store refusing its token flags CREDENTIALS_REJECTED and retries the same key with growing waits, then refunds once', async () => {
    const good = storeClient;
    storeClient = createRefundClient({
      url: h.sandbox.storeUrl,
      token: 'not-the-store-token-anymore',
      timeoutMs: 2000,
    });
    let started;
    try {
      started = await h.startRefund('healthy-single-sku');
      await waitForState(started.handle, (s) => (s.attentions ?? []).some((a) => a.reason === 'CREDENTIALS_REJECTED'));
      await sleep(4_000);
      const refused = h.sandbox.state.store
        .requests()
        .filter((r) => r.status === 401 && r.path === '/admin/api/v1/refund');
      const g = gaps(refused.map((r) => r.at));
      console.log(`store credentials refused: ${refused.length} POST /refund in about 4 s, gaps ${g.join(', ')} ms`);
      // The same key after 200 ms doubling to 1 s (the test's submission back-off): a handful, never a tight loop.
      assert.ok(refused.length >= 2 && refused.length <= 10, `${refused.length} calls`);
    } finally {
      storeClient = good;
    }
    const result = await started.handle.result();
    assert.equal(result.status, RefundStatus.REFUNDED);
    const applied = h.sandbox.state.store.ledger().filter((e) => e.key.order === started.fixture.storeOrder.id);
    assert.equal(applied.length, 1);
  });
});

describe('throttling without Retry-After', () => {
  let h: Harness;
  before(async () => {
    h = await createHarness();
  });
  after(async () => {
    await h?.close();
  });

  it('a Buy with Prime throttle storm without Retry-After: the waits between reads grow', async () => {
    const { fixture, handle, workflowId } = await h.startRefund('healthy-single-sku', {
      beforeStart: async () => {
        h.sandbox.state.bwp.setFaults({ throttleBurst: 5, omitRetryAfter: true });
      },
    });
    const result = await handle.result();
    assert.equal(result.status, RefundStatus.REFUNDED, workflowId);
    const throttled = h.sandbox.state.bwp.requests().filter((r) => r.path === '/graphql' && r.status === 429);
    assert.equal(throttled.length, 5);
    const calls = h.sandbox.state.bwp.requests().filter((r) => r.path === '/graphql');
    const firstOk = calls.findIndex((r) => r.status === 200);
    const storm = calls.slice(0, firstOk + 1).map((r) => r.at);
    const g = gaps(storm);
    console.log(`bwp throttle storm for ${fixture.bwpOrder.id}: gaps ${g.join(', ')} ms`);
    for (let i = 1; i < g.length; i++) assert.ok(g[i]! >= g[i - 1]! * 0.9, `gaps grow: ${g.join(', ')}`);
    assert.ok(g.at(-1)! >= 3 * g[0]!, `they grow exponentially: ${g.join(', ')}`);
  });

  it('a store throttle storm without Retry-After: the same key is sent again after growing waits, and refunds once', async () => {
    // Waits of 1 s doubling to 8 s, with equal jitter (the dev server fires timers at about a second's grain).
    const { fixture, handle } = await h.startRefund('healthy-single-sku', {
      timing: { submitRetryInitialMs: 1_000, submitRetryMaxMs: 8_000 },
      beforeStart: async () => {
        h.sandbox.state.store.setFaults({ throttleBurst: 4, omitRetryAfter: true });
      },
    });
    const result = await handle.result();
    assert.equal(result.status, RefundStatus.REFUNDED);
    const posts = h.sandbox.state.store.requests().filter((r) => r.path === '/admin/api/v1/refund');
    assert.equal(posts.filter((r) => r.status === 429).length, 4);
    const g = gaps(posts.map((r) => r.at));
    console.log(`store throttle storm for ${fixture.storeOrder.id}: gaps ${g.join(', ')} ms`);
    for (let i = 1; i < g.length; i++) assert.ok(g[i]! >= g[i - 1]! * 0.8, `gaps grow: ${g.join(', ')}`);
    assert.ok(g.at(-1)! >= 2.5 * g[0]!, `they grow exponentially: ${g.join(', ')}`);
    assert.equal(h.sandbox.state.store.ledger().filter((e) => e.key.order === fixture.storeOrder.id).length, 1);
  });
});
