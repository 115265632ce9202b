/** A page of a newest-first list, and where the next one starts. */
export interface Page<Row> {
  rows: Row[];
  /** The seq to continue below, or undefined on the last page. */
  nextBeforeSeq?: bigint;
}

/** Cuts a query for pageSize + 1 rows: the extra row only says whether a next page exists. */
export function toPage<Row extends { seq: bigint }>(rows: Row[], pageSize: number): Page<Row> {
  const page = rows.slice(0, pageSize);
  const last = page.at(-1);
  return rows.length > pageSize && last !== undefined
    ? { rows: page, nextBeforeSeq: last.seq }
    : { rows: page };
}
