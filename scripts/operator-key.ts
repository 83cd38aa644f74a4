import { parseArgs } from 'node:util';
import { loadConfig } from '../common/config';
import { newOperatorKey, OperatorName, readKeysFile, ROLES, writeKeysFile, type Role } from '../common/operator-keys';

/**
 * `npm run operator-key -- <command>` (in an image: `node dist/scripts/operator-key.js <command>`): the operators' API
 * keys in OPERATOR_KEYS_FILE (or --file).
 *   add NAME --role viewer|operator|admin   prints the new key once (only its hash is stored)
 *   list                                    names, roles, ids, creation dates (never a key)
 *   remove NAME|ID                          revokes: the API stops accepting it at its next request
 */

const USAGE = `usage: npm run operator-key -- add NAME --role ${ROLES.join('|')} [--file PATH]
       npm run operator-key -- list [--file PATH]
       npm run operator-key -- remove NAME|ID [--file PATH]`;

function fail(message: string): never {
  console.error(`${message}\n${USAGE}`);
  process.exit(2);
}

function main() {
  const { values, positionals } = parseArgs({
    args: process.argv.slice(2),
    allowPositionals: true,
    options: { role: { type: 'string' }, file: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const file = values.file ?? loadConfig(process.env, { uses: [] }).OPERATOR_KEYS_FILE;
  const [command, target, ...rest] = positionals;
  if (rest.length > 0) fail(`unexpected arguments: ${rest.join(' ')}`);
  const content = readKeysFile(file);

  switch (command) {
    case 'add': {
      const name = OperatorName.safeParse(target);
      if (!name.success) fail(`NAME ${name.error.issues[0]?.message ?? 'is required'}`);
      const role = values.role as Role | undefined;
      if (!role || !ROLES.includes(role)) fail(`--role must be one of ${ROLES.join(', ')}`);
      // Names identify people in the audit trail: one key per name.
      if (content.keys.some((k) => k.name === name.data))
        fail(`${name.data} already has a key; remove it first to issue a new one`);
      const { key, entry } = newOperatorKey(name.data, role);
      writeKeysFile(file, { ...content, keys: [...content.keys, entry] });
      console.error(`Added ${entry.name} (${entry.role}, id ${entry.id}) to ${file}.`);
      console.error('The key, shown this once (only its hash is stored):');
      console.log(key);
      return;
    }
    case 'list': {
      if (content.keys.length === 0) console.log(`No operator keys in ${file}.`);
      for (const k of content.keys) console.log(`${k.id}  ${k.role.padEnd(8)}  ${k.createdAt}  ${k.name}`);
      return;
    }
    case 'remove': {
      if (!target) fail('name the key to remove (its name or id)');
      const kept = content.keys.filter((k) => k.name !== target && k.id !== target);
      if (kept.length === content.keys.length) fail(`no key named ${target} in ${file}`);
      writeKeysFile(file, { ...content, keys: kept });
      console.log(`Removed ${target}: the API refuses its key from its next request on.`);
      return;
    }
    default:
      fail(command ? `unknown command ${command}` : 'name a command');
  }
}

main();
