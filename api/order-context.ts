import { createActivities, type RefundContextData } from '../activities';
import { createClientsFromConfig, type Clients } from '../activities/clients';
import type { Config } from '../common/config';
import type { Logger } from '../common/logger';
import type { Policy } from '../domain/context';

/**
 * The order a refund is about, read the way the workflow reads it (the same `fetchRefundContext`: the BwP order and,
 * through its EXTERNAL_ID alias, the store order), for the repair form and for checking a repair as the operator types.
 *
 * Why the API reads it itself: the workflow's state query does not expose the order it last read. Reads are cached for
 * a few seconds, so a burst of keystrokes costs one read of each system.
 */
export interface OrderContextReader {
  /** `fresh`: skip the cache (the repair form); checks and list summaries may use a read a few seconds old. */
  read(orderId: string, opts?: { fresh?: boolean }): Promise<RefundContextData>;
}

export function createOrderContextReader(opts: {
  config: Config;
  logger: Logger;
  policy: Policy;
  clients?: Clients;
  ttlMs?: number;
  now?: () => number;
}): OrderContextReader {
  const clients = opts.clients ?? createClientsFromConfig(opts.config, opts.logger);
  const { fetchRefundContext } = createActivities({ ...clients, policy: opts.policy });
  const ttlMs = opts.ttlMs ?? 5_000;
  const now = opts.now ?? Date.now;
  const cache = new Map<string, { at: number; value: Promise<RefundContextData> }>();
  const MAX_ENTRIES = 500;

  return {
    read(orderId, { fresh = false } = {}) {
      const hit = cache.get(orderId);
      if (!fresh && hit && now() - hit.at < ttlMs) return hit.value;
      const value = fetchRefundContext({ orderId }).then(({ order, storeOrder, storeOrderId }) => ({
        order,
        storeOrder,
        ...(storeOrderId ? { storeOrderId } : {}),
      }));
      const entry = { at: now(), value };
      // A failed read is not cached: the next keystroke tries again.
      value.catch(() => {
        if (cache.get(orderId) === entry) cache.delete(orderId);
      });
      cache.set(orderId, entry);
      if (cache.size > MAX_ENTRIES) cache.delete(cache.keys().next().value!);
      return value;
    },
  };
}
