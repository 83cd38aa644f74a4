import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { after, describe, it } from 'node:test';
import { loadFixture, uniqueFixture } from '../../sandbox/fixtures';
import { SandboxStateFile } from '../../sandbox/persistence';
import {
  bwpHeaders,
  gql,
  ORDER_BY_ID,
  postRefund,
  refundUpdate,
  report,
  seedScenario,
  startSandbox,
  storeOrderOf,
} from './helpers';

const dir = mkdtempSync(path.join(tmpdir(), 'sandbox-state-'));
after(() => rmSync(dir, { recursive: true, force: true }));

void describe('sandbox state file', () => {
  void it('keeps orders, refunds, idempotency results and both ledgers across a restart', async () => {
    const stateFile = path.join(dir, 'restart', 'state.json');
    const first = await startSandbox({ stateFile });
    const f = await seedScenario(first, 'healthy-single-sku');
    const refund = {
      id: 'persisted-key',
      order: f.storeOrder.id,
      line_items: [{ id: 'shop-line-socks', quantity: 1 }],
    };
    const applied = await postRefund(first, refund);
    assert.equal(applied.status, 201);
    const reported = await report(first, f.bwpOrder.id, [
      refundUpdate(f.refundId, { state: 'SUCCESS', total: 12.96, delta: [12.96] }),
    ]);
    assert.equal(reported.body.errors, undefined);
    await first.close();

    const second = await startSandbox({ stateFile });
    try {
      assert.equal((await storeOrderOf(second, f.storeOrder.id)).lineItems[0]!.refundedQuantity, 1);
      const order = (await gql(second, ORDER_BY_ID, { orderId: f.bwpOrder.id })).body.data.order;
      assert.equal(order.refunds.details[0].state, 'SUCCESS');
      const payments = order.refunds.details[0].paymentDetails as { paymentMethod: unknown }[];
      assert.deepEqual(
        payments.map((p) => p.paymentMethod),
        [{ type: 'AMAZON_PAY', displayString: 'Amazon Pay' }],
      );
      assert.equal(second.state.bwp.ledger().length, 1);
      assert.equal(second.state.bwp.ledger()[0]!.delta[0]!.paymentMethod?.type, 'AMAZON_PAY');
      assert.equal(second.state.store.ledger().length, 1);

      const replay = await postRefund(second, refund);
      assert.equal(replay.status, 201, 'the stored result survived the restart');
      assert.deepEqual(replay.body, applied.body);
      assert.equal(second.state.store.ledger().length, 1, 'and the retry did not refund again');
    } finally {
      await second.close();
    }
  });

  void it('writes a complete file after every change and leaves no temporary file behind', async () => {
    const stateFile = path.join(dir, 'atomic.json');
    const sandbox = await startSandbox({ stateFile });
    try {
      const f = await seedScenario(sandbox, 'healthy-partial-qty');
      const read = () => SandboxStateFile.parse(JSON.parse(readFileSync(stateFile, 'utf8')));
      assert.ok(read().store.orders.some((o) => o.id === f.storeOrder.id));
      await postRefund(sandbox, { id: 'a', order: f.storeOrder.id, shipping: true });
      assert.equal(read().store.ledger.length, 1);
      await postRefund(sandbox, {
        id: 'b',
        order: f.storeOrder.id,
        line_items: [{ id: 'shop-line-socks', quantity: 1 }],
      });
      assert.equal(read().store.ledger.length, 2);
      assert.deepEqual(
        readdirSync(dir).filter((n) => n.startsWith('atomic.json.')),
        [],
      );
    } finally {
      await sandbox.close();
    }
  });

  void it('keeps nothing without a state file', async () => {
    const first = await startSandbox();
    const f = await seedScenario(first, 'healthy-single-sku');
    await first.close();
    const second = await startSandbox();
    try {
      assert.equal(second.state.bwp.hasOrder(f.bwpOrder.id), false);
    } finally {
      await second.close();
    }
  });

  void it('does not reseed over orders it reloaded when seeding fixtures at start', async () => {
    const stateFile = path.join(dir, 'seeded.json');
    const first = await startSandbox({ stateFile, seedFixtures: true });
    const fixture = loadFixture('healthy-single-sku');
    assert.equal(
      (
        await postRefund(first, {
          id: 'k',
          order: fixture.storeOrder.id,
          line_items: [{ id: 'shop-line-socks', quantity: 1 }],
        })
      ).status,
      201,
    );
    await first.close();

    const second = await startSandbox({ stateFile, seedFixtures: true });
    try {
      assert.equal((await storeOrderOf(second, fixture.storeOrder.id)).lineItems[0]!.refundedQuantity, 1);
      assert.equal(
        second.state.bwp.hasOrder(loadFixture('sku-relinked').bwpOrder.id),
        true,
        'the other fixtures are there',
      );
    } finally {
      await second.close();
    }
  });

  void it('refuses a version 1 state file (the pre-2024-11-01 shapes), naming it', async () => {
    const stateFile = path.join(dir, 'old.json');
    const first = await startSandbox({ stateFile });
    await first.seed(uniqueFixture(loadFixture('healthy-single-sku')));
    await first.close();
    const saved = JSON.parse(readFileSync(stateFile, 'utf8'));
    assert.equal(saved.version, 2);
    writeFileSync(stateFile, JSON.stringify({ ...saved, version: 1 }));
    await assert.rejects(startSandbox({ stateFile }), /old\.json/);
  });

  void it('refuses to start on a damaged state file, naming it', async () => {
    const stateFile = path.join(dir, 'damaged.json');
    const first = await startSandbox({ stateFile });
    await first.seed(uniqueFixture(loadFixture('healthy-single-sku')));
    await first.close();
    const saved = JSON.parse(readFileSync(stateFile, 'utf8'));
    saved.store.orders[0].currency = 12;
    writeFileSync(stateFile, JSON.stringify(saved));
    await assert.rejects(startSandbox({ stateFile }), /damaged\.json/);
  });
});

void describe('sandbox/main.ts (npm run sandbox)', () => {
  void it('starts both simulators from config with every fixture seeded, and stops on SIGTERM', async () => {
    const stateFile = path.join(dir, 'main', 'state.json');
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, '../../sandbox/main.ts')], {
      env: {
        ...process.env,
        SANDBOX_BWP_PORT: '0',
        SANDBOX_STORE_PORT: '0',
        BWP_CLIENT_ID: 'main-client-id',
        BWP_CLIENT_SECRET: 'main-client-secret',
        BWP_TARGET_ID: 'main-business-product',
        REFUND_API_TOKEN: 'main-refund-token',
        STORE_ORDER_TOKEN: 'main-store-order-token',
        SANDBOX_STATE_FILE: stateFile,
        LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const output: string[] = [];
      const listening = await new Promise<{
        bwpUrl: string;
        bwpTokenUrl: string;
        storeUrl: string;
        storeOrderUrl: string;
      }>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no 'sandbox listening' line in:\n${output.join('\n')}`)),
          20_000,
        );
        createInterface({ input: child.stdout }).on('line', (line) => {
          output.push(line);
          try {
            const entry = JSON.parse(line);
            if (entry.msg === 'sandbox listening') {
              clearTimeout(timer);
              resolve(entry);
            }
          } catch {
            // not a log line
          }
        });
        child.on('exit', () => reject(new Error(`exited early:\n${output.join('\n')}`)));
      });
      for (const secret of ['main-client-secret', 'main-refund-token', 'main-store-order-token']) {
        assert.ok(!output.join('\n').includes(secret), 'no credential is printed');
      }

      const token = await fetch(listening.bwpTokenUrl, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from('main-client-id:main-client-secret').toString('base64')}`,
        },
        body: 'grant_type=client_credentials',
      });
      assert.equal(token.status, 200);
      const { access_token: accessToken } = (await token.json()) as { access_token: string };
      const res = await fetch(listening.bwpUrl, {
        method: 'POST',
        headers: bwpHeaders(accessToken, { 'x-api-target-id': 'main-business-product' }),
        body: JSON.stringify({
          query: '{ order(orderIdentifier: { orderId: "order-id" }) { refunds { details { id state } } } }',
        }),
      });
      assert.deepEqual(await res.json(), {
        data: { order: { refunds: { details: [{ id: 'example-refund-id', state: 'PENDING' }] } } },
      });
      const storeOrderId = loadFixture('healthy-multi-sku').storeOrder.id;
      const store = await fetch(`${listening.storeOrderUrl}/${storeOrderId}`, {
        headers: { authorization: 'Bearer main-store-order-token' },
      });
      assert.equal(store.status, 200);
      const refund = await fetch(`${listening.storeUrl}/admin/api/v1/refund`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-purple-dot-access-token': 'main-refund-token' },
        body: JSON.stringify({ id: 'main-key', order: storeOrderId, shipping: true }),
      });
      assert.equal(refund.status, 201);

      child.kill('SIGTERM');
      assert.equal(await exited, 0);
      assert.ok(existsSync(stateFile), 'state was saved to SANDBOX_STATE_FILE');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
