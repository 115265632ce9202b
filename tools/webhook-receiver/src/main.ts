// `npm run webhook-receiver -- --port 9400 --secret whsec_...`: a sink for
// event subscriptions, to try them out and to watch retries. stdout carries
// one JSON line per request; what it is doing goes to stderr.
import { readFile } from 'node:fs/promises';
import { CliError, runCli } from '@switchboard/cli';
import {
  isSecret,
  parseReceiverArgs,
  receiverUsage,
  type ReceiverCommand,
} from './parse-receiver-args';
import { startWebhookReceiver } from './start-webhook-receiver';
import { writeLine } from './write-line';

async function readSecretFile(file: string): Promise<string | undefined> {
  let text: string;
  try {
    text = (await readFile(file, 'utf8')).trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  if (text === '') return undefined;
  if (!isSecret(text)) throw new Error(`${file} does not hold a whsec_ secret`);
  return text;
}

async function run(command: ReceiverCommand): Promise<void> {
  const { secret, secretFile } = command;
  let receiver;
  try {
    receiver = await startWebhookReceiver({
      host: command.host,
      port: command.port,
      secret: secretFile === undefined ? async () => secret : () => readSecretFile(secretFile),
      toleranceSeconds: command.toleranceSeconds,
      failFirst: command.failFirst,
      failStatus: command.failStatus,
      retryAfterSeconds: command.retryAfterSeconds,
      refuseHandshake: command.refuseHandshake,
      onRequest: (record) => void writeLine(JSON.stringify(record)).catch(() => {}),
    });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EADDRINUSE') {
      throw new CliError(
        `port ${command.port} on ${command.host} is in use; choose another with --port`,
      );
    }
    if (e.code === 'EADDRNOTAVAIL') throw new CliError(e.message);
    throw err;
  }
  process.stderr.write(
    `webhook-receiver: listening on ${receiver.url}` +
      (secretFile === undefined ? '' : ` (secret from ${secretFile})`) +
      (command.failFirst > 0
        ? `; failing the first ${command.failFirst} with ${command.failStatus}`
        : '') +
      '; Ctrl-C stops it\n',
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await receiver.close();
}

runCli({
  name: 'webhook-receiver',
  usage: receiverUsage,
  parse: (argv) => parseReceiverArgs(argv),
  run,
});
