import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import express from 'express';
import pino from 'pino';
import type { Browser } from 'playwright-core';
import { createApp } from '../../api/app';
import { loadConfig } from '../../common/config';
import { listen, type Listening } from '../../sandbox/http';
import { writeTestKeys } from '../api/api-harness';
import { createTestEnv } from '../helpers/temporal';
import { launchChromium } from './chromium';

/**
 * The sign-in form never puts the operator's key in a URL (the address bar, the history, a proxy's or the API's log):
 * without its script it submits nothing, and with it the key goes only into an Authorization header; the page never
 * reads a key from the query string. Every request the browser makes is recorded in front of the real app.
 */

const KEY_MARK = 'rok_';

describe('repair page: the sign-in form and the key', () => {
  let env: TestWorkflowEnvironment;
  let browser: Browser;
  let http: Listening;
  let url: string;
  const requests: { method: string; url: string }[] = [];
  const { file: keysFile, keys } = writeTestKeys();

  before(async () => {
    env = await createTestEnv();
    const config = loadConfig({ NODE_ENV: 'test', OPERATOR_KEYS_FILE: keysFile, SANDBOX_ENABLED: 'false' });
    const outer = express();
    outer.use((req, _res, next) => {
      requests.push({ method: req.method, url: req.originalUrl });
      next();
    });
    outer.use(createApp({ client: env.client, config, logger: pino({ level: 'silent' }) }));
    http = await listen(outer, '127.0.0.1', 0);
    url = `http://127.0.0.1:${http.port}`;
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await http?.close();
    await env?.teardown();
  });

  it('without its script the form submits nothing: the key never reaches a URL', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    try {
      const page = await context.newPage();
      requests.length = 0;
      await page.goto(`${url}/console/`);
      const form = page.locator('#signin');
      assert.equal(await form.getAttribute('method'), 'post');
      const submit = page.getByRole('button', { name: 'Sign in' });
      assert.equal(await submit.isDisabled(), true, 'the button waits for the script');
      await page.getByLabel('API key').fill(keys.operator);
      await page.getByLabel('API key').press('Enter');
      await page.waitForTimeout(500);
      assert.equal(new URL(page.url()).search, '');
      assert.ok(!page.url().includes(KEY_MARK), page.url());
      assert.deepEqual(
        requests.filter((r) => r.url.includes(KEY_MARK) || r.method !== 'GET'),
        [],
        'nothing was submitted',
      );
    } finally {
      await context.close();
    }
  });

  it('with its script the key goes in a header only; a key in the query string is neither read nor kept', async () => {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      requests.length = 0;
      // An old bookmark (or a GET form of an old page) carrying a key: the page does not sign in with it, and drops it.
      await page.goto(`${url}/console/?token=${encodeURIComponent(keys.admin)}`);
      await page.getByRole('button', { name: 'Sign in' }).waitFor();
      await page.waitForFunction('location.search === ""');
      assert.equal(await page.getByText(/Signed in as/).count(), 0, 'not signed in from the URL');
      assert.equal(await page.evaluate('sessionStorage.length'), 0);

      await page.getByLabel('API key').fill(keys.operator);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByText('Signed in as Ada Operator (operator)').waitFor();
      assert.ok(!page.url().includes(KEY_MARK), page.url());
      const afterFirst = requests.slice(1);
      assert.deepEqual(
        afterFirst.filter((r) => r.url.includes(KEY_MARK)),
        [],
        'no request after the first carried a key in its URL',
      );
      assert.ok(requests.some((r) => r.method === 'GET' && r.url === '/me'));
    } finally {
      await context.close();
    }
  });
});
