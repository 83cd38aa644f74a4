import type { WorkflowHandle } from '@temporalio/client';
import type { RefundContextData } from '../activities';
import type { Policy } from '../domain/context';
import { contextQuery } from '../workflows/refund.contract';

/**
 * The order a refund is about, exactly as the workflow last read it (the BwP order and, through its EXTERNAL_ID alias,
 * the store order), with the policy it applies: the repair form shows it and the check validates against it, so the
 * page's verdict is the workflow's verdict.
 */
export interface OrderContextReader {
  /** Undefined while the workflow has not read the order yet. */
  read(handle: WorkflowHandle): Promise<{ context: RefundContextData; policy?: Policy } | undefined>;
}

export function createOrderContextReader(): OrderContextReader {
  return {
    async read(handle) {
      const view = await handle.query(contextQuery);
      return view.context ? { context: view.context, ...(view.policy ? { policy: view.policy } : {}) } : undefined;
    },
  };
}
