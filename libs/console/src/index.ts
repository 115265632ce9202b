export type { ConsoleMethods } from './console-methods';
export type { ConsoleTarget } from './console-target';
// The server: one port for the browser app, ConsoleService and the OTLP receiver.
export { createConsoleServer } from './server/create-console-server';
export type { ConsoleServer, ConsoleServerOptions, OtlpHandler } from './server/console-server';
export type { ConsoleAuthenticate, ConsoleCaller } from './server/console-authenticate';
export {
  createAuthAuthenticator,
  type AuthAuthenticatorOptions,
} from './server/create-auth-authenticator';
export { isLoopbackHost } from './server/is-loopback-host';
