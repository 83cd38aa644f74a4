import { createLogger } from '../../common/logger';
import { createSandbox } from '../../sandbox';

/**
 * The sandbox in its own process for the benchmark, so its CPU is measured apart from the worker's (and profiled with
 * --cpu-prof). Options as JSON in argv[2]; prints one JSON line with its URLs once listening; SIGTERM stops it.
 */
async function main() {
  const opts = JSON.parse(process.argv[2] ?? '{}') as {
    tokens: { bwpClientId: string; bwpClientSecret: string; refund: string; bp: string };
    storeRatePerSecond?: number;
    storeRateBurst?: number;
  };
  const sandbox = await createSandbox({
    bwpClientId: opts.tokens.bwpClientId,
    bwpClientSecret: opts.tokens.bwpClientSecret,
    refundToken: opts.tokens.refund,
    businessProductId: opts.tokens.bp,
    storeRatePerSecond: opts.storeRatePerSecond,
    storeRateBurst: opts.storeRateBurst,
    logger: createLogger({ level: 'warn', pretty: false }),
  });
  console.log(JSON.stringify({ ready: true, bwpUrl: sandbox.bwpUrl, storeUrl: sandbox.storeUrl }));
  const stop = () => void sandbox.close().finally(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
