import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { Role } from '../../common/operator-keys';
import { refundWorkflowId, RefundStatus, stateQuery } from '../../workflows/refund.contract';
import { createApiHarness, OPERATORS, type ApiHarness } from '../api/api-harness';
import { waitForState } from '../helpers/harness';
import { launchChromium } from './chromium';

/**
 * The repair page's bulk actions in a real browser (Debian's Chromium, headless), on a harness of its own (its own task
 * queue), so the refunds it acts on are only this file's: count, confirm that count, see each refund's outcome.
 */

describe('repair page: bulk actions', () => {
  let api: ApiHarness;
  let browser: Browser;
  let page: Page;
  let pageErrors: string[] = [];

  before(async () => {
    api = await createApiHarness();
    browser = await launchChromium();
  });
  beforeEach(async () => {
    await page?.close();
    page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    pageErrors = [];
    page.on('pageerror', (err) => pageErrors.push(err.message));
    page.on('console', (msg) => {
      if (msg.type() === 'error') pageErrors.push(msg.text());
    });
  });
  afterEach(() => {
    assert.deepEqual(pageErrors, [], 'errors in the page');
  });
  after(async () => {
    await browser?.close();
    await api?.close();
  });

  async function signIn(as: Role) {
    await page.goto(`${api.url}/console/`);
    await page.getByLabel('API key').fill(api.keys[as]);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText(`Signed in as ${OPERATORS[as]} (${as})`).waitFor();
  }

  /** Counts (a dry run) until the page says `said`: visibility lags the workflows a little. */
  async function countUntil(said: string) {
    const deadline = Date.now() + 20_000;
    const count = page.locator('#bulk-count');
    for (;;) {
      await page.getByRole('button', { name: 'Count refunds' }).click();
      await count.getByText(/refunds? match/).waitFor();
      if ((await count.innerText()) === said) return;
      assert.ok(Date.now() < deadline, `still ${await count.innerText()}`);
      await page.waitForTimeout(300);
    }
  }

  it('a viewer is not offered bulk actions', async () => {
    await signIn('viewer');
    await page.getByRole('button', { name: 'Start refund' }).waitFor({ state: 'hidden' });
    assert.equal(await page.getByRole('button', { name: 'Count refunds' }).isVisible(), false);
  });

  it('an operator is offered accept and re-check, not decline', async () => {
    await signIn('operator');
    await page.getByRole('button', { name: 'Count refunds' }).waitFor();
    const options = await page.getByLabel('Bulk action').locator('option:not([disabled])').allInnerTexts();
    assert.deepEqual(options, ['Accept the suggestion', 'Re-check now']);
  });

  it('an operator counts the parked refunds, confirms that count, and sees each one accept the suggestion', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) {
      const f = await api.seed('flat-goodwill-10-usd');
      await api.postEvent(api.eventFor(f));
      const id = refundWorkflowId(f.bwpOrder.id, f.refundId);
      await waitForState(api.client.workflow.getHandle(id), (s) => s.status === RefundStatus.AWAITING_REPAIR);
      ids.push(id);
    }
    await signIn('operator');
    await page.getByLabel('Problem code (optional)').fill('MISSING_ITEM_DETAIL');
    await countUntil('2 refunds match.');
    // The count sent nothing.
    for (const id of ids) assert.deepEqual((await api.client.workflow.getHandle(id).query(stateQuery)).audit, []);
    await page.getByRole('button', { name: 'Accept the suggestion of 2 refunds' }).click();
    await page.getByText('2 of 2 refunds accepted it.').waitFor();
    await page.getByText(/Batch completed: 2 of 2 signalled/).waitFor();
    const items = await page.locator('#bulk-result li').allInnerTexts();
    assert.equal(items.length, 2);
    assert.ok(
      items.every((t) => /: accepted/.test(t)),
      items.join('\n'),
    );
    for (const id of ids) {
      assert.equal((await api.client.workflow.getHandle(id).result()).status, RefundStatus.REFUNDED);
      const audit = (await api.client.workflow.getHandle(id).query(stateQuery)).audit;
      assert.deepEqual(
        audit.map((a) => [a.operator, a.action, a.accepted]),
        [[OPERATORS.operator, 'acceptSuggestion', true]],
      );
    }
  });

  it('an admin may decline in bulk with a status reason from the API’s own list', async () => {
    const f = await api.seed('line-removed-from-store');
    await api.postEvent(api.eventFor(f));
    const id = refundWorkflowId(f.bwpOrder.id, f.refundId);
    await waitForState(api.client.workflow.getHandle(id), (s) => s.status === RefundStatus.AWAITING_REPAIR);
    await signIn('admin');
    await page.getByLabel('Bulk action').selectOption('decline');
    await page.getByLabel('Decline with the reason').selectOption('RETURN_WINDOW_EXPIRED');
    await countUntil('1 refund match.');
    await page.getByRole('button', { name: 'Decline 1 refunds' }).click();
    await page.getByText('1 of 1 refunds accepted it.').waitFor();
    const result = await api.client.workflow.getHandle(id).result();
    assert.equal(result.status, RefundStatus.DECLINED);
    assert.equal(result.statusReason, 'RETURN_WINDOW_EXPIRED');
  });
});
