import { getOption, hasOption, type DescMethod } from '@bufbuild/protobuf';
import { http, type HttpRule } from '@switchboard/contracts';
import {
  literalWeight,
  matchPathTemplate,
  parsePathTemplate,
  type PathBindings,
  type PathTemplate,
} from './path-template';

/** One REST binding of a method: an HTTP method and path template, and where the body goes. */
export interface HttpRoute {
  readonly httpMethod: string;
  readonly template: PathTemplate;
  /** '*' (the whole request), a top-level field name, or '' (no body: fields from the query). */
  readonly body: string;
  readonly method: DescMethod;
}

export interface RouteMatch {
  readonly route: HttpRoute;
  readonly bindings: PathBindings;
}

function patternOf(rule: HttpRule): { httpMethod: string; path: string } | undefined {
  const { pattern } = rule;
  switch (pattern.case) {
    case 'get':
    case 'put':
    case 'post':
    case 'delete':
    case 'patch':
      return { httpMethod: pattern.case.toUpperCase(), path: pattern.value };
    case 'custom':
      return { httpMethod: pattern.value.kind.toUpperCase(), path: pattern.value.path };
    default:
      return undefined;
  }
}

/** The routes of one method: its google.api.http rule and the rule's additional bindings. */
export function routesOf(method: DescMethod): HttpRoute[] {
  if (!hasOption(method, http)) return [];
  const top = getOption(method, http);
  const routes: HttpRoute[] = [];
  for (const rule of [top, ...top.additionalBindings]) {
    const pattern = patternOf(rule);
    if (pattern === undefined) continue;
    const template = parsePathTemplate(pattern.path);
    if (
      rule.body !== '' &&
      rule.body !== '*' &&
      !method.input.fields.some((f) => f.name === rule.body)
    ) {
      throw new Error(`${method.parent.typeName}/${method.name}: body field ${rule.body} unknown`);
    }
    routes.push({ httpMethod: pattern.httpMethod, template, body: rule.body, method });
  }
  return routes;
}

export interface RouteTable {
  readonly routes: readonly HttpRoute[];
  /** The route for a request, or why there is none: no path fits (404), or not with this HTTP method (405). */
  match(
    httpMethod: string,
    path: string,
  ): RouteMatch | { notFound: true } | { allowed: readonly string[] };
}

/**
 * Every route of the given methods, tried most literal first so a fixed path
 * (e.g. /v1/products:checkAvailability) wins over a variable one.
 */
export function createRouteTable(methods: readonly DescMethod[]): RouteTable {
  const routes = methods
    .flatMap(routesOf)
    .sort((a, b) => literalWeight(b.template) - literalWeight(a.template));
  return {
    routes,
    match(httpMethod, path) {
      const allowed = new Set<string>();
      for (const route of routes) {
        const bindings = matchPathTemplate(route.template, path);
        if (bindings === undefined) continue;
        if (route.httpMethod === httpMethod) return { route, bindings };
        allowed.add(route.httpMethod);
      }
      return allowed.size === 0 ? { notFound: true } : { allowed: [...allowed].sort() };
    },
  };
}
