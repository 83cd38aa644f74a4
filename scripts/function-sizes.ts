/**
 * `npx tsx scripts/function-sizes.ts [min-lines] [folders…]`: every function (declarations, methods, arrow functions
 * and function expressions) of at least `min-lines` lines (default 80) outside test/, longest first, as
 * `lines  file:line  name`. The lines are the function's own span, nested functions included.
 */
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

const [minArg, ...folders] = process.argv.slice(2);
const MIN = Number(minArg ?? 80);
const ROOTS = folders.length
  ? folders
  : ['domain', 'common', 'workflows', 'activities', 'workers', 'api', 'sandbox', 'tools', 'scripts'];

function files(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' ? [] : files(full);
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [full] : [];
  });
}

function nameOf(node: ts.Node): string {
  if (ts.isFunctionDeclaration(node) || ts.isMethodDeclaration(node)) return node.name?.getText() ?? '(anonymous)';
  if (ts.isConstructorDeclaration(node)) return 'constructor';
  const parent = node.parent;
  if (ts.isVariableDeclaration(parent)) return parent.name.getText();
  if (ts.isPropertyAssignment(parent) || ts.isPropertyDeclaration(parent)) return parent.name.getText();
  if (ts.isCallExpression(parent)) return `${parent.expression.getText().slice(0, 40)}(… callback)`;
  return '(anonymous)';
}

const found: { lines: number; where: string; name: string }[] = [];
for (const file of ROOTS.flatMap(files)) {
  const source = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
  const visit = (node: ts.Node) => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const start = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
      const end = source.getLineAndCharacterOfPosition(node.getEnd()).line;
      const lines = end - start + 1;
      if (lines >= MIN) found.push({ lines, where: `${file}:${start + 1}`, name: nameOf(node) });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
}
found.sort((a, b) => b.lines - a.lines);
for (const f of found) console.log(`${String(f.lines).padStart(5)}  ${f.where}  ${f.name}`);
console.log(`${found.length} functions of ${MIN} lines or more in ${ROOTS.join(', ')}`);
