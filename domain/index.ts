/** The refund domain: money, problems, reasons, the order view, validation, plans and repair suggestions. Pure code. */
export * from './money';
export * from './problems';
export * from './reasons';
export {
  type Policy,
  type RefundContext,
  type LineView,
  type OrderView,
  type ShippingView,
  type StoreLineView,
  DEFAULT_ESTIMATE_TOLERANCE_PER_LINE,
  describeOrder,
  estimateTolerancePerLine,
  findRefund,
  storeOrderIdOf,
  storeValueOfUnits,
  valueOfUnits,
  taxRefundedBeyondUnits,
} from './context';
export type { RefundPlan, PlanLine } from './plan';
export { type StoreRefundBody, checkStoreRequest } from './store-request';
export {
  type ValidationResult,
  type PlanOptions,
  PlanError,
  buildPlanFromRefund,
  buildPlanFromRepair,
  validateRefund,
  validateRepair,
} from './validate';
export { type Suggestion, suggestRepair } from './suggest';
export { type StoreRefundCheck, checkStoreRefund } from './store-refund';
export * from './schemas/repair';
export { PolicySchema, RefundContextSchema, readRefundContext } from './schemas/context';
