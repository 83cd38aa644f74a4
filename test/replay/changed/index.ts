// A deliberately incompatible version of the refund workflow (it starts a timer where the real one reads the order),
// used to prove the replay suite catches a change that would break running refunds.
import { sleep } from '@temporalio/workflow';

export async function refundWorkflow(): Promise<void> {
  await sleep('1 hour');
}
