import type { WorkflowHandle } from '@temporalio/client';
import type { RefundContextData } from '../activities';
import type { Policy } from '../domain/context';
import { contextQuery, type RefundWorkflowState } from '../workflows/refund.contract';
import { queryWithRetry } from './query';

/**
 * A refund's state with the order exactly as its workflow last read it (the BwP order and, through its EXTERNAL_ID
 * alias, the store order) and the policy it applies, in one query: the repair form shows it and the check validates
 * against it, so the page's verdict is the workflow's verdict.
 */
export interface OrderContextReader {
  /** `budgetMs`: how long to keep trying (api/query.ts), within the caller's own deadline. */
  read(
    handle: WorkflowHandle,
    budgetMs: number,
  ): Promise<{ state: RefundWorkflowState; context?: RefundContextData; policy?: Policy }>;
}

export function createOrderContextReader(): OrderContextReader {
  return { read: (handle, budgetMs) => queryWithRetry(handle, contextQuery, budgetMs) };
}
