import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { it } from 'node:test';
import { ESLint } from 'eslint';

/**
 * The lint rules that keep the import graph sound fail when broken: an import cycle (import/no-cycle, on two fixture
 * files the repo's own lint ignores) and a layer importing one above it (domain/ importing common/, on a file written
 * into domain/ for the test and removed after).
 */

const root = path.resolve(__dirname, '..', '..');

it('npm run lint fails on an import cycle', async () => {
  const eslint = new ESLint({ cwd: root, ignore: false });
  const results = await eslint.lintFiles(['test/lint/fixtures/cycle/first.ts']);
  const rules = results.flatMap((r) => r.messages.map((m) => m.ruleId));
  assert.ok(rules.includes('import/no-cycle'), JSON.stringify(results.map((r) => r.messages)));
});

it('npm run lint fails when domain/ imports a layer above it', async () => {
  const file = path.join(root, 'domain', '__lint_fixture_layer__.ts');
  fs.writeFileSync(file, "import { loadConfig } from '../common/config';\n\nexport const load = loadConfig;\n");
  try {
    const eslint = new ESLint({ cwd: root });
    const results = await eslint.lintFiles([file]);
    const rules = results.flatMap((r) => r.messages.map((m) => m.ruleId));
    assert.ok(rules.includes('import/no-restricted-paths'), JSON.stringify(results.map((r) => r.messages)));
  } finally {
    fs.rmSync(file, { force: true });
  }
});
