// Stand-in source (ours): the workspace must compile and be required from the installed tree.
export type CacheScope = 'PUBLIC' | 'PRIVATE';
export const defaultScope: CacheScope = 'PUBLIC';
