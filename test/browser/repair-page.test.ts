import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { refundIdempotencyKey, refundWorkflowId, RefundStatus, stateQuery } from '../../workflows/refund.contract';
import { TOKENS, waitForState } from '../helpers/harness';
import type { Role } from '../../common/operator-keys';
import { createApiHarness, OPERATORS, type ApiHarness } from '../api/api-harness';
import { formatDecimal, minor } from '../../domain/money';
import { inCurrency } from '../helpers/currency';
import { launchChromium } from './chromium';

/**
 * The operator's path in a real browser (Debian's Chromium, headless): a flat $10 goodwill refund on a three-SKU order
 * is parked for repair; the operator opens the repair page, sees why, edits the per-SKU split while the page checks it
 * with the workflow's own rules, confirms, and watches the refund complete. The sandbox ledgers show the per-SKU refund.
 */

const ROOT = path.resolve(__dirname, '..', '..');

/** Runs in the page: the visible form controls that have no label (none should). */
const UNLABELED_CONTROLS = `[...document.querySelectorAll('input, select, textarea')]
  .filter((el) => !el.hidden && el.offsetParent !== null)
  .filter((el) => !(el.id && document.querySelector('label[for="' + el.id + '"]')) && !el.getAttribute('aria-label') && !el.closest('label'))
  .map((el) => el.outerHTML)`;

describe('repair page', () => {
  let api: ApiHarness;
  let browser: Browser;
  let page: Page;
  let pageErrors: string[] = [];
  /** A test that sends a bad key on purpose expects the browser to report the 401s. */
  let expect401 = false;

  before(async () => {
    api = await createApiHarness();
    browser = await launchChromium();
  });
  beforeEach(async () => {
    // A fresh tab per test: sessionStorage (the operator's key) starts empty.
    await page?.close();
    page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    // The page's own errors fail the test.
    pageErrors = [];
    expect401 = false;
    page.on('pageerror', (err) => pageErrors.push(err.message));
    page.on('console', (msg) => {
      if (msg.type() !== 'error') return;
      if (expect401 && /status of 401/.test(msg.text())) return;
      pageErrors.push(msg.text());
    });
  });
  afterEach(() => {
    assert.deepEqual(pageErrors, [], 'errors in the page');
  });
  after(async () => {
    await browser?.close();
    await api?.close();
  });

  /** Opens the page and signs in with the role's own key (typed once, kept in this tab's sessionStorage). */
  async function signIn(hash = '', as: Role = 'operator') {
    await page.goto(`${api.url}/console/${hash}`);
    await page.getByLabel('API key').fill(api.keys[as]);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText(`Signed in as ${OPERATORS[as]} (${as})`).waitFor();
  }

  /** Always to artifacts/ (ignored); to the README's docs/ only with UPDATE_SCREENSHOTS=1, so test runs leave git clean. */
  async function screenshot(name: string, also?: string) {
    const shot = await page.screenshot({ fullPage: true });
    const docs = also && process.env.UPDATE_SCREENSHOTS === '1' ? [path.join(ROOT, also)] : [];
    for (const dir of [path.join(ROOT, 'artifacts'), ...docs]) {
      mkdirSync(dir, { recursive: true });
      writeFileSync(path.join(dir, name), shot);
    }
  }

  it('an operator repairs a flat $10 goodwill refund on a three-SKU order with a per-SKU split, and it completes', async () => {
    // BwP announces the refund; the workflow finds no item detail and parks it.
    const fixture = await api.seed('flat-goodwill-10-usd');
    assert.equal((await api.postEvent(api.eventFor(fixture))).status, 202);
    const workflowId = refundWorkflowId(fixture.bwpOrder.id, fixture.refundId);
    await waitForState(api.client.workflow.getHandle(workflowId), (s) => s.status === RefundStatus.AWAITING_REPAIR);

    await signIn();

    // The list shows the parked refund with its amount and problem; open it from the keyboard.
    const row = page.getByRole('row').filter({ hasText: fixture.bwpOrder.id });
    await row.waitFor();
    assert.match(await row.innerText(), /10\.00 USD/);
    assert.match(await row.innerText(), /MISSING_ITEM_DETAIL/);
    await screenshot('repair-list.png');
    await row.getByRole('link', { name: `Repair refund ${fixture.refundId}` }).focus();
    await page.keyboard.press('Enter');

    // The dialog says why it is waiting and pre-fills the suggested split, which the check finds ready.
    await page.getByRole('heading', { name: `Failed Refund: order ${fixture.bwpOrder.id}` }).waitFor();
    const why = page.getByRole('region', { name: 'Why it is waiting' });
    assert.match(await why.innerText(), /MISSING_ITEM_DETAIL/);
    const check = page.getByRole('region', { name: 'Check of this repair' });
    await check.getByText('No problems').waitFor();
    for (const sku of ['SOCKS-TRAIL-M', 'BOTTLE-500', 'HEADLAMP-300']) {
      assert.equal(await page.getByRole('checkbox', { name: `Refund ${sku}` }).isChecked(), true, `${sku} ticked`);
    }
    const socksRow = page.getByRole('row').filter({ hasText: 'SOCKS-TRAIL-M' });
    assert.match(await socksRow.innerText(), /12\.96 USD/, 'remaining amount of the socks');

    // A split that does not add up is caught as the operator types, and Confirm stays disabled.
    const amount = (sku: string) => page.getByLabel(`Amount for ${sku} in USD`);
    await amount('HEADLAMP-300').fill('50.00');
    await check.getByText(/problems? to fix/).waitFor();
    assert.match(await check.innerText(), /TOTALS_DO_NOT_ADD_UP|AMOUNT_EXCEEDS_LINE_REMAINING/);
    assert.equal(await amount('HEADLAMP-300').getAttribute('aria-invalid'), 'true');
    assert.equal(await page.getByRole('button', { name: 'Confirm' }).isDisabled(), true);

    // The operator's own split: $2 + $3 + $5, each with a reason from the merchant's list.
    await amount('SOCKS-TRAIL-M').fill('2.00');
    await amount('BOTTLE-500').fill('3.00');
    await amount('HEADLAMP-300').fill('5.00');
    await page.getByLabel('Reason for BOTTLE-500').selectOption('CustomerReturn');
    await check.getByText('No problems: ready to refund 10.00 USD').waitFor();
    assert.equal(await page.getByRole('button', { name: 'Confirm' }).isEnabled(), true);
    await screenshot('repair-page.png', 'docs');

    await page.getByRole('button', { name: 'Confirm' }).click();
    await page
      .getByRole('status')
      .getByText(/is REFUNDED; 10\.00 USD refunded/)
      .waitFor({ timeout: 30_000 });
    // The page now shows the outcome: the plan per SKU, and what was refunded.
    await page
      .getByRole('region', { name: 'Outcome' })
      .getByRole('row', { name: /BOTTLE-500 0 CustomerReturn 3\.00 USD/ })
      .waitFor();
    await page.locator('#refund-facts dt', { hasText: /^Refunded$/ }).waitFor();
    assert.equal(await page.locator('#refund-facts dt:text-is("Refunded") + dd').textContent(), '10.00 USD');
    await screenshot('repair-page-done.png');

    // The workflow finished with the operator's plan, and its audit trail names the operator.
    const result = await api.client.workflow.getHandle(workflowId).result();
    assert.equal(result.status, RefundStatus.REFUNDED);
    assert.deepEqual(result.refunded, { amount: '10.00', currency: 'USD' });
    await page.getByText(/Ada Operator — repair accepted/).waitFor();

    // BwP's ledger: one SUCCESS report naming the three refunded lines (BwP takes no money per line).
    const reports = api.sandbox.state.bwp.ledger().filter((e) => e.orderId === fixture.bwpOrder.id);
    assert.equal(reports.length, 1);
    const report = reports[0]!;
    assert.equal(report.state, 'SUCCESS');
    assert.deepEqual(report.refundTotal, { amount: 10, currencyCode: 'USD' });
    assert.deepEqual([...(report.refundFor?.lineItemIds ?? [])].sort(), [
      'bwp-line-bottle',
      'bwp-line-headlamp',
      'bwp-line-socks',
    ]);
    // The per-SKU split stays in the plan (and the audit trail).
    const planned = (await api.client.workflow.getHandle(workflowId).query(stateQuery)).plan;
    assert.deepEqual(Object.fromEntries((planned?.report.lines ?? []).map((l) => [l.lineItemId, l.amount])), {
      'bwp-line-socks': 200,
      'bwp-line-bottle': 300,
      'bwp-line-headlamp': 500,
    });
    // The store moved the money once.
    const moved = api.sandbox.state.store.ledger().filter((e) => e.key.order === fixture.storeOrder.id);
    assert.equal(moved.length, 1);
    assert.deepEqual(moved[0]!.refunded, { amount: '10.00', currency: 'USD' });
  });

  // Amounts come from the API as decimal strings with the currency's decimal places: no table in the page.
  for (const { currency, flat, split, sum, bad } of [
    {
      currency: 'JPY',
      flat: '1000',
      split: { 'SOCKS-TRAIL-M': '200', 'BOTTLE-500': '300', 'HEADLAMP-300': '500' },
      sum: '1000',
      bad: '2.00',
    },
    {
      currency: 'IQD',
      flat: '1.000',
      split: { 'SOCKS-TRAIL-M': '0.200', 'BOTTLE-500': '0.300', 'HEADLAMP-300': '0.500' },
      sum: '1.000',
      bad: '0.2001',
    },
  ]) {
    it(`an operator repairs a flat ${flat} ${currency} refund, every amount in ${currency}'s own decimal places`, async () => {
      const fixture = await api.seed('flat-goodwill-10-usd', (f) => inCurrency(f, currency));
      assert.equal((await api.postEvent(api.eventFor(fixture))).status, 202);
      const workflowId = refundWorkflowId(fixture.bwpOrder.id, fixture.refundId);
      await waitForState(api.client.workflow.getHandle(workflowId), (s) => s.status === RefundStatus.AWAITING_REPAIR);
      await signIn();
      const row = page.getByRole('row').filter({ hasText: fixture.bwpOrder.id });
      await row.waitFor();
      assert.match(await row.innerText(), new RegExp(`${flat.replace('.', '\\.')} ${currency}`));
      await row.getByRole('link', { name: `Repair refund ${fixture.refundId}` }).click();

      const check = page.getByRole('region', { name: 'Check of this repair' });
      await check.getByText(`No problems: ready to refund ${flat} ${currency}`).waitFor();
      const money = (units: string) => `${formatDecimal(minor(Number(units)), currency)} ${currency}`;
      assert.match(
        await page.getByRole('row').filter({ hasText: 'SOCKS-TRAIL-M' }).innerText(),
        new RegExp(money('1296')),
      );

      // An amount finer than the currency allows is refused by the server, on that very input.
      const amount = (sku: string) => page.getByLabel(`Amount for ${sku} in ${currency}`);
      await amount('SOCKS-TRAIL-M').fill(bad);
      await check.getByText(/problems? to fix/).waitFor();
      assert.match(await check.innerText(), /INVALID_AMOUNT/);
      assert.equal(await amount('SOCKS-TRAIL-M').getAttribute('aria-invalid'), 'true');
      assert.equal(await amount('BOTTLE-500').getAttribute('aria-invalid'), null);

      for (const [sku, value] of Object.entries(split)) await amount(sku).fill(value);
      await page.getByLabel('Reason for BOTTLE-500').selectOption('CustomerReturn');
      await check.getByText(`No problems: ready to refund ${sum} ${currency}`).waitFor();
      assert.equal(await page.locator('#sum').textContent(), `${sum} ${currency}`);
      await page.getByRole('button', { name: 'Confirm' }).click();
      await page
        .getByRole('status')
        .getByText(new RegExp(`is REFUNDED; ${sum.replace('.', '\\.')} ${currency} refunded`))
        .waitFor({ timeout: 30_000 });
      await page
        .getByRole('region', { name: 'Outcome' })
        .getByRole('row', { name: `BOTTLE-500 0 CustomerReturn ${split['BOTTLE-500']} ${currency}` })
        .waitFor();
      const moved = api.sandbox.state.store.ledger().filter((e) => e.key.order === fixture.storeOrder.id);
      assert.deepEqual(
        moved.map((e) => e.refunded),
        [{ amount: sum, currency }],
      );
    });
  }

  it('is usable from the keyboard alone: every control has a label and focus reaches Confirm', async () => {
    const fixture = await api.seed('flat-goodwill-10-usd');
    await api.postEvent(api.eventFor(fixture));
    const workflowId = refundWorkflowId(fixture.bwpOrder.id, fixture.refundId);
    await waitForState(api.client.workflow.getHandle(workflowId), (s) => s.status === RefundStatus.AWAITING_REPAIR);
    await signIn(`#/refund/${encodeURIComponent(workflowId)}`);
    await page.getByRole('region', { name: 'Check of this repair' }).getByText('No problems').waitFor();
    const unlabeled = await page.evaluate<string[]>(UNLABELED_CONTROLS);
    assert.deepEqual(unlabeled, []);
    let reached = false;
    for (let i = 0; i < 60 && !reached; i++) {
      await page.keyboard.press('Tab');
      reached = (await page.locator(':focus').getAttribute('id')) === 'confirm';
    }
    assert.ok(reached, 'Tab reaches Confirm');
    // Escape goes back to the list.
    await page.keyboard.press('Escape');
    await page.getByRole('heading', { name: 'Refunds waiting for repair' }).waitFor();
    // Decline from the page, with a status reason.
    await page.goto(`${api.url}/console/#/refund/${encodeURIComponent(workflowId)}`);
    await page.getByRole('region', { name: 'Check of this repair' }).getByText('No problems').waitFor();
    await page.getByLabel('Status reason').selectOption('FRAUDULENT_RETURN_ATTEMPT');
    await page.getByRole('button', { name: 'Decline refund' }).click();
    await page
      .getByRole('status')
      .getByText(/is DECLINED/)
      .waitFor({ timeout: 30_000 });
  });

  it('refuses a wrong key at sign-in and signs out when the key is revoked', async () => {
    expect401 = true;
    await page.goto(`${api.url}/console/`);
    await page.getByLabel('API key').fill('rok_000000000000_not-a-key');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page
      .getByRole('status')
      .getByText(/Not signed in: .*not valid/)
      .waitFor();
    assert.equal(await page.evaluate("sessionStorage.getItem('refund-console.token')"), null);
    // A key that stops working (removed from the keys file) sends the operator back to the sign-in form.
    await signIn();
    await page.evaluate("sessionStorage.setItem('refund-console.token', 'rok_000000000000_revoked')");
    await page.getByRole('button', { name: 'Refresh' }).click();
    await page
      .getByRole('status')
      .getByText(/not accepted.*Sign in again/)
      .waitFor();
    await page.getByLabel('API key').waitFor();
  });

  it('a viewer can look and check but not confirm, decline or start refunds', async () => {
    const fixture = await api.seed('flat-goodwill-10-usd');
    await api.postEvent(api.eventFor(fixture));
    const workflowId = refundWorkflowId(fixture.bwpOrder.id, fixture.refundId);
    await waitForState(api.client.workflow.getHandle(workflowId), (s) => s.status === RefundStatus.AWAITING_REPAIR);
    await signIn('', 'viewer');
    assert.equal(await page.getByRole('button', { name: 'Start refund' }).isVisible(), false);
    await page.goto(`${api.url}/console/#/refund/${encodeURIComponent(workflowId)}`);
    await page.getByRole('region', { name: 'Check of this repair' }).getByText('No problems').waitFor();
    assert.equal(await page.getByRole('button', { name: 'Confirm' }).isDisabled(), true);
    assert.equal(await page.getByRole('button', { name: 'Decline refund' }).isDisabled(), true);
    await page.getByText(/Your role \(viewer\) can check a repair but not send it/).waitFor();
    await api.client.workflow.getHandle(workflowId).terminate('test cleanup');
  });

  it('a 409 alarm: the page says why it needs attention, an operator re-checks, only an admin resubmits under a new key', async () => {
    // A partial refund, so the spent 0.01 leaves enough on the order for the plan to go out and meet the 409.
    const fixture = await api.seed('healthy-partial-qty');
    // The key this refund will use was already spent on another payload (say, by an older deployment).
    const spent = await fetch(`${api.sandbox.storeUrl}/admin/api/v1/refund`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'X-Purple-Dot-Access-Token': TOKENS.refund },
      body: JSON.stringify({
        id: refundIdempotencyKey(fixture.bwpOrder.id, fixture.refundId, 1),
        order: fixture.storeOrder.id,
        amount: '0.01',
        currency: 'USD',
      }),
    });
    assert.equal(spent.status, 201);
    await api.postEvent(api.eventFor(fixture));
    const workflowId = refundWorkflowId(fixture.bwpOrder.id, fixture.refundId);
    const handle = api.client.workflow.getHandle(workflowId);
    await waitForState(handle, (s) => s.status === RefundStatus.AWAITING_REPAIR && s.inDoubt !== undefined);

    await signIn(`#/refund/${encodeURIComponent(workflowId)}`);
    const attention = page.getByRole('region', { name: 'Needs attention' });
    await attention.getByText('IDEMPOTENCY_ALARM', { exact: true }).waitFor();
    assert.match(await attention.innerText(), /Money may have moved under key .*-r1/);
    // An operator may re-check but not resubmit: the statement form is an admin's.
    assert.equal(await page.getByRole('button', { name: 'Resubmit under a new key' }).isVisible(), false);
    await attention.getByText(/an admin can resubmit under a new key/).waitFor();
    await page.getByRole('button', { name: 'Re-check now' }).click();
    await page
      .getByRole('status')
      .getByText(/Re-check recorded/)
      .waitFor();
    await waitForState(handle, (s) => s.audit.some((a) => a.action === 'recheck' && a.operator === OPERATORS.operator));

    // An admin states they checked the store; a new revision (and key) opens, audited under the admin's name.
    await page.getByRole('link', { name: 'Sign out' }).click();
    await page.getByLabel('API key').fill(api.keys.admin);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText(`Signed in as ${OPERATORS.admin} (admin)`).waitFor();
    await page
      .getByRole('region', { name: 'Needs attention' })
      .getByText('IDEMPOTENCY_ALARM', { exact: true })
      .waitFor();
    await page.getByRole('button', { name: 'Resubmit under a new key' }).click();
    await page
      .getByRole('status')
      .getByText(/Tick the statement/)
      .waitFor();
    assert.equal((await handle.query(stateQuery)).revision, 1, 'nothing was sent without the statement');
    await page.getByLabel('I checked on the store that no money moved under this key').check();
    await page.getByLabel('How you checked').fill('the spent key was a test payload of 0.01');
    await page.getByRole('button', { name: 'Resubmit under a new key' }).click();
    await page
      .getByRole('status')
      .getByText(/Resubmission recorded/)
      .waitFor();
    const after = await waitForState(handle, (s) => s.revision === 2);
    assert.ok(
      after.audit.some((a) => a.action === 'resubmitVerified' && a.operator === OPERATORS.admin && a.accepted),
      JSON.stringify(after.audit),
    );
    assert.equal(after.idempotencyKey, refundIdempotencyKey(fixture.bwpOrder.id, fixture.refundId, 2));
    if ((await handle.describe()).status.name === 'RUNNING') await handle.terminate('test cleanup');
  });

  it('starts a refund whose event was lost, and exports the list as CSV', async () => {
    const fixture = await api.seed('flat-goodwill-10-usd');
    await signIn();
    await page.getByLabel('Order id').fill(fixture.bwpOrder.id);
    await page.getByLabel('Refund id').fill(fixture.refundId);
    await page.getByRole('button', { name: 'Start refund' }).click();
    await page
      .getByRole('status')
      .getByText(`Refund ${fixture.refundId} of order ${fixture.bwpOrder.id} started.`)
      .waitFor();
    // The page opens the new refund; once its workflow has read the order it is parked for repair, as an event's is.
    const workflowId = refundWorkflowId(fixture.bwpOrder.id, fixture.refundId);
    await waitForState(api.client.workflow.getHandle(workflowId), (s) => s.status === RefundStatus.AWAITING_REPAIR);
    const description = await api.client.workflow.getHandle(workflowId).describe();
    assert.match((await description.staticDetails()) ?? '', /Started by operator Ada Operator/);

    await page.goto(`${api.url}/console/#/`);
    await page.getByRole('row').filter({ hasText: fixture.bwpOrder.id }).waitFor();
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Export CSV' }).click(),
    ]);
    assert.match(download.suggestedFilename(), /^refunds-\d{4}-\d{2}-\d{2}\.csv$/);
    const csv = readFileSync(await download.path(), 'utf8');
    // Every text cell quoted, the header's too (api/export.ts).
    assert.match(csv.split('\r\n')[0]!, /^"workflow_id","order_id","refund_id",/);
    assert.ok(csv.includes(workflowId), 'the parked refund is in the export');
    await page
      .getByRole('status')
      .getByText(/Exported \d+ refunds to refunds-/)
      .waitFor();
    await api.client.workflow.getHandle(workflowId).terminate('test cleanup');
  });
});
