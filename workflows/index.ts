// Entry point of the workflow bundle: every workflow the workers run.
export { refundWorkflow } from './refund';
