/** What became of one record; 'interrupted' means nothing yet: it is fetched again. */
export type Outcome = 'handled' | 'duplicate' | 'skipped' | 'dead-lettered' | 'interrupted';
