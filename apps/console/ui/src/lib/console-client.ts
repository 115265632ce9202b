import { createClient, type Client } from '@connectrpc/connect';
import { createConnectTransport } from '@connectrpc/connect-web';
// The generated module itself, not @switchboard/contracts' index: the index
// pulls in every service's contracts, which the browser never needs.
import { ConsoleService } from '@switchboard/contracts/console/v1/console_service_pb';

export type ConsoleClient = Client<typeof ConsoleService>;

/** The console's backend answers on the page's own origin, beside the files. */
export function createConsoleClient(baseUrl = window.location.origin): ConsoleClient {
  return createClient(ConsoleService, createConnectTransport({ baseUrl }));
}

export const consoleClient = createConsoleClient();
