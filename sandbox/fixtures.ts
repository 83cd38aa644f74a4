import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { ALIAS_EXTERNAL_ID, ALIAS_SKU, BwpOrder } from '../domain/schemas/bwp';
import { StoreOrder } from '../domain/schemas/store';
import { schemaProblems } from './bwp/schema';

/**
 * Scenario fixtures: one BwP order with its PENDING refund and the store order it maps to (through the EXTERNAL_ID
 * alias). The BwP order is held to the published 2024-11-01 shape (sandbox/bwp/schema.graphql's `Order`: a field the
 * reference does not publish, such as a product SKU, an order total or a shipping charge, is an error) and then read
 * with the shared zod schemas, so a fixture can drift neither from Amazon's reference nor from what the service reads.
 * The store order is the merchant's (domain/schemas/store.ts, StoreOrder); the shipping charge lives only there.
 */

export const FIXTURES_DIR = path.join(__dirname, 'fixtures');

/** A BwP order as the published schema has it, then as the service reads it. */
const PublishedBwpOrder = z
  .unknown()
  .superRefine((order, ctx) => {
    for (const message of schemaProblems(order, 'Order')) ctx.addIssue({ code: 'custom', message });
  })
  .pipe(BwpOrder);

export const Fixture = z
  .object({
    name: z.string().regex(/^[a-z0-9-]+$/, 'must be kebab-case'),
    description: z.string().min(1),
    businessProductId: z.string().min(1),
    bwpOrder: PublishedBwpOrder,
    storeOrder: StoreOrder,
    /** The refund this scenario is about (PENDING on the BwP order). */
    refundId: z.string().min(1),
    /** Refunds on the BwP order created outside BwP by the merchant; BwP lets only those change their request reason. */
    externalRefundIds: z.array(z.string().min(1)).default([]),
  })
  .superRefine((f, ctx) => {
    const refundIds = new Set(f.bwpOrder.refunds.details.map((r) => r.id));
    if (!refundIds.has(f.refundId)) {
      ctx.addIssue({ code: 'custom', path: ['refundId'], message: `is not a refund of order ${f.bwpOrder.id}` });
    }
    for (const id of f.externalRefundIds) {
      if (!refundIds.has(id))
        ctx.addIssue({ code: 'custom', path: ['externalRefundIds'], message: `${id} is unknown` });
    }
    const lineIds = new Set(f.bwpOrder.lineItems.map((l) => l.id));
    f.bwpOrder.refunds.details.forEach((refund, r) =>
      refund.refundFor?.orderLineItems.forEach((entry, i) => {
        if (!lineIds.has(entry.lineItem.id)) {
          ctx.addIssue({
            code: 'custom',
            path: ['bwpOrder', 'refunds', 'details', r, 'refundFor', 'orderLineItems', i, 'lineItem', 'id'],
            message: `${entry.lineItem.id} is not a line of the order`,
          });
        }
      }),
    );
    // No SKU field is published on a line's product (PurchasedProductView): the SKU is a line alias of type SKU.
    f.bwpOrder.lineItems.forEach((line, i) => {
      if (!line.aliases.some((a) => a.aliasType === ALIAS_SKU)) {
        ctx.addIssue({
          code: 'custom',
          path: ['bwpOrder', 'lineItems', i, 'aliases'],
          message: `line ${line.id} needs a ${ALIAS_SKU} alias`,
        });
      }
    });
    const external = f.bwpOrder.aliases.find((a) => a.aliasType === ALIAS_EXTERNAL_ID);
    if (external?.aliasId !== f.storeOrder.id) {
      ctx.addIssue({
        code: 'custom',
        path: ['bwpOrder', 'aliases'],
        message: `needs an ${ALIAS_EXTERNAL_ID} alias equal to the store order id ${f.storeOrder.id}`,
      });
    }
  });
export type Fixture = z.output<typeof Fixture>;

/** Names of the fixture files, sorted. */
export function fixtureNames(dir: string = FIXTURES_DIR): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -'.json'.length))
    .sort();
}

/** Reads and validates one fixture; the error names the file and each bad field. */
export function loadFixture(name: string, dir: string = FIXTURES_DIR): Fixture {
  const file = path.join(dir, `${name}.json`);
  const parsed = Fixture.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  if (!parsed.success) throw new Error(`Fixture ${file} is invalid: ${z.prettifyError(parsed.error)}`);
  if (parsed.data.name !== name)
    throw new Error(`Fixture ${file} is named ${parsed.data.name}; it must match its file`);
  return parsed.data;
}

export function loadAllFixtures(dir: string = FIXTURES_DIR): Fixture[] {
  return fixtureNames(dir).map((name) => loadFixture(name, dir));
}

/**
 * A copy with fresh BwP order, store order and refund ids (each gets `-<suffix>`), so tests running side by side on
 * one sandbox never touch each other's orders. Line ids stay: they are scoped to their order.
 */
export function uniqueFixture(fixture: Fixture, opts: { suffix?: string; businessProductId?: string } = {}): Fixture {
  const suffix = opts.suffix ?? randomUUID().slice(0, 8);
  const copy = structuredClone(fixture);
  const fresh = (id: string) => `${id}-${suffix}`;
  copy.businessProductId = opts.businessProductId ?? copy.businessProductId;
  copy.bwpOrder.id = fresh(copy.bwpOrder.id);
  copy.storeOrder.id = fresh(copy.storeOrder.id);
  for (const alias of copy.bwpOrder.aliases) {
    if (alias.aliasType === ALIAS_EXTERNAL_ID) alias.aliasId = copy.storeOrder.id;
  }
  for (const refund of copy.bwpOrder.refunds.details) refund.id = fresh(refund.id);
  copy.refundId = fresh(copy.refundId);
  copy.externalRefundIds = copy.externalRefundIds.map(fresh);
  return copy;
}
