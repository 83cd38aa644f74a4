import { z } from 'zod';

/** A decimal amount as a string, as the store and the operators write it ("10.00"); its own module, for repair.ts. */
export const DecimalString = z.string().regex(/^\d+(\.\d+)?$/, 'must be a decimal string such as "10.00"');
