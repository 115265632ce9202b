/**
 * A google.api.http path template, as google/api/http.proto defines it:
 *
 *     Template = "/" Segments [ Verb ] ;
 *     Segments = Segment { "/" Segment } ;
 *     Segment  = "*" | "**" | LITERAL | Variable ;
 *     Variable = "{" FieldPath [ "=" Segments ] "}" ;
 *     Verb     = ":" LITERAL ;
 *
 * `{name}` is `{name=*}`: one segment. `**` matches the rest of the path and
 * may only come last.
 */
export interface PathTemplate {
  readonly source: string;
  readonly segments: readonly Segment[];
  readonly verb: string | undefined;
  readonly variables: readonly TemplateVariable[];
}

export type Segment = { kind: 'literal'; value: string } | { kind: 'any' } | { kind: 'rest' };

export interface TemplateVariable {
  /** The request field the matched text goes to, e.g. ['order_id'] or ['user', 'name']. */
  readonly fieldPath: readonly string[];
  /** Index of its first segment, and one past its last (undefined: to the end of the path). */
  readonly start: number;
  readonly end: number | undefined;
}

/** Path values by dotted field path, percent-decoded. */
export type PathBindings = Map<string, string>;

export class PathTemplateError extends Error {
  constructor(source: string, reason: string) {
    super(`invalid path template ${JSON.stringify(source)}: ${reason}`);
    this.name = 'PathTemplateError';
  }
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Parses a template; throws PathTemplateError naming the template on any grammar violation. */
export function parsePathTemplate(source: string): PathTemplate {
  if (!source.startsWith('/')) throw new PathTemplateError(source, 'must start with "/"');
  let body = source.slice(1);
  let verb: string | undefined;
  // The verb follows the last segment; a colon inside {…} is not a verb.
  const lastSlash = body.lastIndexOf('/');
  const lastBrace = body.lastIndexOf('}');
  const colon = body.lastIndexOf(':');
  if (colon > lastSlash && colon > lastBrace) {
    verb = body.slice(colon + 1);
    body = body.slice(0, colon);
    if (verb === '') throw new PathTemplateError(source, 'empty verb');
  }
  const segments: Segment[] = [];
  const variables: TemplateVariable[] = [];
  let i = 0;
  const parts = splitTopLevel(source, body);
  for (const part of parts) {
    if (part.startsWith('{')) {
      if (!part.endsWith('}')) throw new PathTemplateError(source, `unclosed variable ${part}`);
      const inner = part.slice(1, -1);
      const eq = inner.indexOf('=');
      const path = eq < 0 ? inner : inner.slice(0, eq);
      const fieldPath = path.split('.');
      if (!fieldPath.every((p) => IDENT.test(p))) {
        throw new PathTemplateError(source, `bad field path ${JSON.stringify(path)}`);
      }
      const sub = eq < 0 ? ['*'] : inner.slice(eq + 1).split('/');
      const start = i;
      for (const s of sub) {
        if (s.includes('{')) throw new PathTemplateError(source, 'nested variables');
        segments.push(segmentOf(source, s));
        i++;
      }
      variables.push({ fieldPath, start, end: sub.at(-1) === '**' ? undefined : i });
    } else {
      segments.push(segmentOf(source, part));
      i++;
    }
  }
  const restAt = segments.findIndex((s) => s.kind === 'rest');
  if (restAt >= 0 && restAt !== segments.length - 1) {
    throw new PathTemplateError(source, '"**" must be the last segment');
  }
  const seen = new Set<string>();
  for (const v of variables) {
    const key = v.fieldPath.join('.');
    if (seen.has(key)) throw new PathTemplateError(source, `field ${key} bound twice`);
    seen.add(key);
  }
  return { source, segments, verb, variables };
}

function splitTopLevel(source: string, body: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of body) {
    if (ch === '{') depth++;
    if (ch === '}') depth--;
    if (depth < 0) throw new PathTemplateError(source, 'unbalanced "}"');
    if (ch === '/' && depth === 0) {
      parts.push(current);
      current = '';
    } else current += ch;
  }
  if (depth !== 0) throw new PathTemplateError(source, 'unbalanced "{"');
  parts.push(current);
  return parts;
}

function segmentOf(source: string, text: string): Segment {
  if (text === '*') return { kind: 'any' };
  if (text === '**') return { kind: 'rest' };
  if (text === '' || /[{}*:]/.test(text)) {
    throw new PathTemplateError(source, `bad segment ${JSON.stringify(text)}`);
  }
  return { kind: 'literal', value: text };
}

/**
 * Matches a request path (without the query string) against a template.
 * Returns the bound variables, or undefined when the path does not fit.
 * Single-segment values are fully percent-decoded; a multi-segment value
 * keeps its "/" separators and any encoded "%2F" as it is, as http.proto asks.
 */
export function matchPathTemplate(template: PathTemplate, path: string): PathBindings | undefined {
  if (!path.startsWith('/')) return undefined;
  let rest = path.slice(1);
  if (template.verb !== undefined) {
    const suffix = `:${template.verb}`;
    if (!rest.endsWith(suffix)) return undefined;
    rest = rest.slice(0, -suffix.length);
  }
  const parts = rest.split('/');
  const { segments } = template;
  const hasRest = segments.at(-1)?.kind === 'rest';
  if (hasRest ? parts.length < segments.length : parts.length !== segments.length) {
    return undefined;
  }
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i]!;
    const part = parts[i]!;
    if (segment.kind === 'rest') break;
    if (part === '') return undefined;
    if (segment.kind === 'literal' && segment.value !== part) return undefined;
    // Without a verb in the template, a request verb must not slip into a value.
    if (template.verb === undefined && i === segments.length - 1 && part.includes(':')) {
      if (segment.kind !== 'literal') return undefined;
    }
  }
  const bindings: PathBindings = new Map();
  for (const v of template.variables) {
    const taken = parts.slice(v.start, v.end);
    let value: string;
    try {
      value =
        taken.length === 1 && v.end !== undefined
          ? decodeURIComponent(taken[0]!)
          : taken.map((t) => decodeURIComponent(t.replace(/%2F/gi, '%252F'))).join('/');
    } catch {
      return undefined;
    }
    bindings.set(v.fieldPath.join('.'), value);
  }
  return bindings;
}

/** How many literal segments a template has: more literal templates are tried first. */
export function literalWeight(template: PathTemplate): number {
  return template.segments.filter((s) => s.kind === 'literal').length;
}
