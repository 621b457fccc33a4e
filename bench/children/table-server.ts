/**
 * The platform's table in a process of its own: dynalite in memory, as `npm start` embeds
 * it, but not sharing the platform's CPU and event loop (on AWS, DynamoDB is another
 * service: its work is not the function's). Prints `listening <endpoint>` when ready and
 * stops on SIGINT or SIGTERM.
 *
 *   node --import tsx bench/children/table-server.ts
 */
import { startLocalDynamo } from '../../local/services';

async function main(): Promise<void> {
  const dynamo = await startLocalDynamo();
  const stop = (): void => {
    void dynamo.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  process.stdout.write(`listening ${dynamo.endpoint}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`table-server: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
