import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { PROBLEM_REJECTED_BY, ProblemCode } from '../../domain/problems';

/**
 * The domain is written down in the repository (docs/domain.md): every problem code the service produces is in it,
 * every rule names a public source and its codes, and nothing points outside the repository for it.
 */

const ROOT = path.join(__dirname, '..', '..');
const doc = fs.readFileSync(path.join(ROOT, 'docs', 'domain.md'), 'utf8');
const SKIP = new Set(['node_modules', '.git', '.tools', '.data', 'dist', 'artifacts']);

function files(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    if (SKIP.has(e.name)) return [];
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return files(full);
    return /\.(ts|js|mjs|md|json|yml|yaml|html|css|sh|graphql)$|^\.env\.example$|^Dockerfile$/.test(e.name)
      ? [full]
      : [];
  });
}

describe('docs/domain.md', () => {
  it('lists every problem code the service produces', () => {
    for (const code of ProblemCode.options)
      assert.match(doc, new RegExp(`\`${code}\``), `${code} is in docs/domain.md`);
  });

  it('says, for every code, which real API would refuse the refund (or why the service stops it without one)', () => {
    const start = doc.indexOf('<a id="which-rules-park"></a>');
    assert.ok(start >= 0, 'the section exists');
    const section = doc.slice(start, doc.indexOf('\n## ', start + 40));
    for (const code of ProblemCode.options) {
      const row = section.split('\n').find((l) => l.startsWith(`| \`${code}\``));
      assert.ok(row, `${code} has a row`);
      const [, said] = row
        .split('|')
        .map((c) => c.trim())
        .filter(Boolean);
      assert.equal(said, PROBLEM_REJECTED_BY[code], code);
    }
  });

  it('gives each numbered rule an anchor, a public source and the code it produces', () => {
    for (let n = 1; n <= 18; n++) {
      const start = doc.indexOf(`<a id="rule-${n}"></a>`);
      assert.ok(start >= 0, `rule ${n} has an anchor`);
      const next = doc.indexOf('<a id="rule-', start + 1);
      const section = doc.slice(start, next < 0 ? doc.indexOf('### Other codes') : next);
      assert.match(section, /Sources?:\s/, `rule ${n} names its source`);
      assert.match(section, /\]\(https:\/\/[^)\s]+\)/, `rule ${n} links a public page`);
      assert.match(section, /Codes?:\s/, `rule ${n} names its code`);
    }
  });

  it('is linked from the README, and every link to a rule lands on an anchor', () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    assert.match(readme, /\(docs\/domain\.md\)/);
    for (const [, anchor] of readme.matchAll(/docs\/domain\.md#([a-z0-9-]+)/g)) {
      assert.ok(doc.includes(`<a id="${anchor}"></a>`), `README links #${anchor}`);
    }
  });

  it('nothing in the repository points at material outside it', () => {
    const outside = [['..', 'shared'].join('/'), ['', 'work', 'shared'].join('/'), ['DOMAIN', 'md'].join('.')];
    const offenders = files(ROOT).filter((f) => {
      const text = fs.readFileSync(f, 'utf8');
      return outside.some((o) => text.includes(o));
    });
    assert.deepEqual(
      offenders.map((f) => path.relative(ROOT, f)),
      [],
    );
  });
});
