import type { DescMethod } from '@bufbuild/protobuf';
import { Code, ConnectError, type HandlerContext, type ServiceImpl } from '@connectrpc/connect';
import { consoleAccessPolicy, ConsoleService, type Access } from '@switchboard/contracts';
import { isDomainError } from '@switchboard/errors';
import type { Logger } from '@switchboard/logger';
import { toConnectError, type RequestValidator } from '@switchboard/rpc';
import type { ConsoleMethods } from '../console-methods';
import type { ConsoleAuthenticate, ConsoleCaller } from './console-authenticate';

export interface ConsoleServiceImplOptions {
  methods: readonly ConsoleMethods[];
  authenticate: ConsoleAuthenticate;
  validator: RequestValidator;
  logger: Logger;
}

type AnyHandler = (request: unknown, ctx: HandlerContext) => unknown;

/**
 * The union of the parts' methods; a method two parts implement is a wiring
 * bug, caught at start. Other members of a part (its close()) are not methods.
 */
function unionOf(methods: readonly ConsoleMethods[]): Record<string, AnyHandler> {
  const union: Record<string, AnyHandler> = {};
  for (const { localName } of ConsoleService.methods) {
    for (const part of methods) {
      const handler = (part as Record<string, unknown>)[localName];
      if (typeof handler !== 'function') continue;
      if (union[localName] !== undefined) {
        throw new Error(`ConsoleService.${localName} is implemented by two console parts`);
      }
      union[localName] = (handler as AnyHandler).bind(part);
    }
  }
  return union;
}

const BEARER = /^Bearer ([^\s]+)$/i;
const ACCESS_LEVELS: ReadonlySet<string> = new Set<Access>([
  'public',
  'authenticated',
  'admin',
  'service',
]);

/**
 * The consoleAccessPolicy, as the services apply theirs: a public method
 * needs no token, but one that is sent must be valid; `authenticated` needs
 * any valid token; `admin` an admin's; `service` a service's (the console
 * has none of those methods today).
 */
async function checkAccess(access: Access, ctx: HandlerContext, authenticate: ConsoleAuthenticate) {
  const header = ctx.requestHeader.get('authorization');
  if (header === null) {
    if (access === 'public') return;
    throw new ConnectError(
      'this method needs an access token: authorization: Bearer <token>',
      Code.Unauthenticated,
    );
  }
  const token = BEARER.exec(header.trim())?.[1];
  if (token === undefined) {
    throw new ConnectError(
      'the authorization header must be "Bearer <token>"',
      Code.Unauthenticated,
    );
  }
  const caller: ConsoleCaller = await authenticate(token, ctx.signal);
  if (access === 'admin' && !caller.roles.includes('admin')) {
    throw new ConnectError('this method is for admins only', Code.PermissionDenied);
  }
  if (access === 'service' && !caller.roles.includes('service')) {
    throw new ConnectError('this method is for services only', Code.PermissionDenied);
  }
}

/**
 * A part's DomainError keeps its code and details; anything else that is not
 * a ConnectError is a bug, logged here and answered as INTERNAL without its
 * message, which may carry internals.
 */
function toAnswer(err: unknown, method: DescMethod, logger: Logger): ConnectError {
  if (err instanceof ConnectError) return err;
  if (isDomainError(err)) return toConnectError(err);
  logger.error({ err, method: method.name }, 'console method failed');
  return new ConnectError('internal error', Code.Internal);
}

/**
 * Every ConsoleService method, each behind the access policy and the
 * contract's validation rules, in that order: an anonymous caller learns
 * nothing from an admin method's validation messages. A method no part
 * implements (yet) answers UNIMPLEMENTED.
 */
export function createConsoleServiceImpl(
  options: ConsoleServiceImplOptions,
): ServiceImpl<typeof ConsoleService> {
  const { authenticate, validator, logger } = options;
  const union = unionOf(options.methods);
  const impl: Record<string, AnyHandler> = {};
  for (const method of ConsoleService.methods) {
    const access: unknown =
      consoleAccessPolicy[method.localName as keyof typeof consoleAccessPolicy];
    // As the services do: a method without a declared access fails the start, not a call.
    if (typeof access !== 'string' || !ACCESS_LEVELS.has(access)) {
      throw new Error(
        `ConsoleService.${method.localName} has no access declared in consoleAccessPolicy`,
      );
    }
    const handler =
      union[method.localName] ??
      (() => {
        throw new ConnectError(
          `${ConsoleService.typeName}/${method.name} is not available in this console build`,
          Code.Unimplemented,
        );
      });
    const admit = async (request: unknown, ctx: HandlerContext) => {
      await checkAccess(access as Access, ctx, authenticate);
      validator.check(method.input, request);
    };
    if (method.methodKind === 'server_streaming') {
      impl[method.localName] = async function* (request: unknown, ctx: HandlerContext) {
        try {
          await admit(request, ctx);
          yield* handler(request, ctx) as AsyncIterable<unknown>;
        } catch (err) {
          throw toAnswer(err, method, logger);
        }
      };
    } else {
      impl[method.localName] = async (request: unknown, ctx: HandlerContext) => {
        try {
          await admit(request, ctx);
          return await handler(request, ctx);
        } catch (err) {
          throw toAnswer(err, method, logger);
        }
      };
    }
  }
  return impl as unknown as ServiceImpl<typeof ConsoleService>;
}
