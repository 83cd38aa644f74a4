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
  PolicySchema,
  RefundContextSchema,
  describeOrder,
  findRefund,
  storeOrderIdOf,
  valueOfUnits,
  taxRefundedBeyondUnits,
} from './context';
export { type RefundPlan, type PlanLine, PlanError, buildPlanFromRefund, buildPlanFromRepair } from './plan';
export { type StoreRefundBody, checkStoreRequest } from './store-request';
export { type ValidationResult, type PlanOptions, validateRefund, validateRepair } from './validate';
export { type Suggestion, suggestRepair } from './suggest';
export * from './schemas/repair';
