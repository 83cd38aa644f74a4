import { RefundStatus } from '../../workflows/refund.contract';
import { protocolRow } from './protocol-table';

/** docs/protocol.md's state × action table, the REPORTING row (protocol-table.ts holds the table and the holds). */
protocolRow(RefundStatus.REPORTING);
