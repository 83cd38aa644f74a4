/**
 * What a merchant writes without Temporal: a queue of refund events and K concurrent consumers. Each consumer reads the
 * order (BwP, then the store), plans the refund with the same domain code as the service, and calls POST /refund,
 * retrying a 429 after its Retry-After (and an unknown outcome after a second) under the same key. There is no global
 * limiter: every consumer calls as soon as it has work. The benchmark (scripts/bench.ts) runs it against the same
 * rate-limited store as the service.
 */
import type { BwpClient } from '../activities/clients/bwp-client';
import type { RefundClient } from '../activities/clients/refund-client';
import type { StoreOrderClient } from '../activities/clients/store-order-client';
import { ALIAS_EXTERNAL_ID } from '../domain/schemas/bwp';
import type { Policy } from '../domain/context';
import { validateRefund } from '../domain/validate';

export interface NaiveEvent {
  orderId: string;
  refundId: string;
}

export interface NaiveResult {
  refunded: number;
  failed: { event: NaiveEvent; why: string }[];
  /** 429 answers this peer received. */
  throttled: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runNaivePeer(opts: {
  bwp: BwpClient;
  refunds: RefundClient;
  storeOrders?: StoreOrderClient;
  policy: Policy;
  events: NaiveEvent[];
  workers: number;
}): Promise<NaiveResult> {
  const queue = [...opts.events];
  const result: NaiveResult = { refunded: 0, failed: [], throttled: 0 };

  async function handle(event: NaiveEvent): Promise<void> {
    const order = await opts.bwp.getOrder(event.orderId);
    if (order.kind !== 'success' || !order.value) throw new Error(`order read: ${order.kind}`);
    const storeOrderId = order.value.aliases.find((a) => a.aliasType === ALIAS_EXTERNAL_ID)?.aliasId;
    const storeOrder =
      storeOrderId && opts.storeOrders ? await opts.storeOrders.getStoreOrder(storeOrderId) : undefined;
    if (storeOrder && storeOrder.kind !== 'success') throw new Error(`store order read: ${storeOrder.kind}`);
    const verdict = validateRefund({
      order: order.value,
      refundId: event.refundId,
      storeOrder: storeOrder?.value,
      policy: opts.policy,
    });
    if (!verdict.plan || verdict.problems.length > 0) throw new Error(`not refundable: ${verdict.problems[0]?.code}`);
    const request = { id: `naive-${event.orderId}-${event.refundId}`, ...verdict.plan.storeRequest };
    for (;;) {
      const answer = await opts.refunds.submitRefund(request);
      if (answer.kind === 'success') return;
      if (answer.kind === 'throttled') {
        result.throttled += 1;
        // Without a Retry-After, a naive second.
        await sleep(answer.retryAfterMs ?? 1000);
      } else if (answer.kind === 'unknown') await sleep(1000);
      else throw new Error(`rejected ${answer.code}`);
    }
  }

  const consumer = async () => {
    for (let event = queue.shift(); event; event = queue.shift()) {
      try {
        await handle(event);
        result.refunded += 1;
      } catch (err) {
        result.failed.push({ event, why: err instanceof Error ? err.message : String(err) });
      }
    }
  };
  await Promise.all(Array.from({ length: opts.workers }, consumer));
  return result;
}
