// Lives in the contracts now, beside the topic registry that names each event
// type's allowed source; re-exported so producers keep importing it from here.
export { eventSourceOf } from '@switchboard/contracts';
