/**
 * What a refund shows outside itself, kept current on every move: the search attributes (status, ids, problem codes,
 * attention), the memo (the compact view, the plan and the latest trail: what the API reads with describe() and list(),
 * so no read ever wakes a worker) and the current details in words for the Temporal UI. Each search attribute and each
 * memo key is upserted only when its value changed: compared with what the run started with (workflowInfo(), which for
 * a run continued as new holds what the last run published) and then with what this run published.
 */
import { setCurrentDetails, upsertMemo, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { SearchAttributePair } from '@temporalio/common';
import {
  MEMO,
  MEMO_ATTEMPTS,
  MEMO_AUDIT_ENTRIES,
  SEARCH_ATTRIBUTES,
  type RefundDetailMemo,
  type RefundTrail,
  type OrderSnapshot,
  type RefundView,
  type RefundWorkflowState,
} from './refund.contract';
import { currentDetails, refundView, type Inbox } from './refund-view';

function detailMemo(state: RefundWorkflowState): RefundDetailMemo {
  return {
    ...(state.plan ? { plan: state.plan } : {}),
    ...(state.suggestion ? { suggestion: state.suggestion } : {}),
    ...(state.submission ? { submission: state.submission } : {}),
  };
}

function trailMemo(state: RefundWorkflowState): RefundTrail {
  return { audit: state.audit.slice(-MEMO_AUDIT_ENTRIES), attempts: state.attempts.slice(-MEMO_ATTEMPTS) };
}

/** Publishes a refund's search attributes and memo, upserting only what changed since the last publication. */
export class Publisher {
  private readonly searchAttributes = new Map<string, string>();
  private readonly memo = new Map<string, string>();

  /**
   * Seeded with the search attributes the run started with (workflowInfo()) and, as the memo already published, with
   * `asStarted`: this code's own view of the state the run starts from (a fresh refund's, which the API shows from its
   * start; a continued run's, which the last run published). Never the start memo itself: a later release may shape
   * the memo otherwise, and replaying a run continued by an earlier one must not find a change (a command) where that
   * release found none.
   */
  constructor(asStarted?: ReturnType<typeof published>) {
    const info = workflowInfo();
    for (const key of Object.values(SEARCH_ATTRIBUTES)) {
      const value = info.typedSearchAttributes.get(key);
      if (value !== undefined) this.searchAttributes.set(key.name, JSON.stringify(value));
    }
    for (const key of Object.values(MEMO)) {
      const value = info.memo?.[key];
      if (value !== undefined) this.memo.set(key, JSON.stringify(value));
    }
    if (!asStarted) return;
    for (const [key, value] of Object.entries(asStarted.memo)) this.memo.set(key, JSON.stringify(value));
  }

  publish(state: RefundWorkflowState, inbox: Inbox, orders: OrderSnapshot | undefined): RefundView {
    const { pairs, memo: values } = published(state, inbox, orders);
    const changedPairs = pairs.filter((p) => this.searchAttributes.get(p.key.name) !== JSON.stringify(p.value));
    if (changedPairs.length > 0) {
      upsertSearchAttributes(changedPairs);
      for (const p of changedPairs) this.searchAttributes.set(p.key.name, JSON.stringify(p.value));
    }
    const changedMemo: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(values)) {
      const json = JSON.stringify(value);
      if (this.memo.get(key) === json) continue;
      changedMemo[key] = value;
      this.memo.set(key, json);
    }
    if (Object.keys(changedMemo).length > 0) upsertMemo(changedMemo);
    // Not a command: the Temporal UI reads it through the SDK's metadata query.
    setCurrentDetails(currentDetails(state));
    return values[MEMO.view];
  }
}

/**
 * Everything a refund publishes: what `publish` upserts, and what continue-as-new hands the next run as its start
 * values, so that a continued run shows the refund as it is from its first event (the SDK would otherwise start it
 * with the first run's start memo).
 */
export function published(
  state: RefundWorkflowState,
  inbox: Inbox,
  orders: OrderSnapshot | undefined,
): { pairs: SearchAttributePair[]; memo: { [MEMO.view]: RefundView } & Record<string, unknown> } {
  return {
    pairs: [
      { key: SEARCH_ATTRIBUTES.status, value: state.status },
      { key: SEARCH_ATTRIBUTES.bwpOrderId, value: state.orderId },
      { key: SEARCH_ATTRIBUTES.problemCodes, value: [...new Set(state.problems.map((p) => p.code))] },
      { key: SEARCH_ATTRIBUTES.needsAttention, value: state.needsAttention },
      { key: SEARCH_ATTRIBUTES.attention, value: state.attentions.map((a) => a.reason) },
      ...(state.storeOrderId ? [{ key: SEARCH_ATTRIBUTES.storeOrderId, value: state.storeOrderId }] : []),
    ],
    memo: {
      [MEMO.view]: refundView(state, inbox, orders),
      [MEMO.detail]: detailMemo(state),
      [MEMO.trail]: trailMemo(state),
    },
  };
}
