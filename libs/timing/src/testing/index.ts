// Timing helpers for specs only; kept out of the lib's main entry so production code cannot reach them.
export { within } from './within';
