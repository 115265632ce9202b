export type { ConsoleMethods } from './console-methods';
export type { ConsoleTarget } from './console-target';
