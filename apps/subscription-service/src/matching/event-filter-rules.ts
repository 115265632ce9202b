/**
 * A subscription's filter as stored and matched: the contract's EventFilter
 * after validation, in plain data (its proto3 JSON shape), so matching needs
 * no protobuf runtime and a stored row reads back as is.
 */
export interface FilterRules {
  readonly types?: readonly string[];
  readonly sources?: readonly string[];
  readonly conditions?: readonly ConditionRule[];
}

export type ConditionRule =
  | { readonly field: string; readonly equals: string }
  | { readonly field: string; readonly prefix: string }
  | { readonly field: string; readonly range: RangeRule }
  | { readonly field: string; readonly exists: boolean };

/** Bounds as numbers; an absent one is open. */
export interface RangeRule {
  readonly gte?: number;
  readonly gt?: number;
  readonly lte?: number;
  readonly lt?: number;
}

/** What a filter is matched against: the CloudEvent's attributes and its data as proto3 JSON. */
export interface MatchableEvent {
  readonly type: string;
  readonly source: string;
  readonly data: unknown;
}
