export type { ConsoleMethods } from './console-methods';
export type { ConsoleTarget } from './console-target';
export {
  createExplorerMethods,
  OMITTED_TARGET_HEADER,
  type ExplorerMethods,
} from './explorer/create-explorer-methods';
export type { ExplorerOptions } from './explorer/explorer-options';
