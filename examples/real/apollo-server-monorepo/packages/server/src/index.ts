// Stand-in source (ours). It reports which copy of its dependencies Node resolves from this
// workspace: lru-cache and uuid have nested copies in packages/server/node_modules whose versions
// differ from the root's, so a tree that lost them resolves the root's versions instead.
import { defaultScope } from '@apollo/cache-control-types';
import { packageVersion } from './generated/packageVersion';

declare const require: (id: string) => { version: string };
export const versions = {
  server: packageVersion,
  lruCache: require('lru-cache/package.json').version,
  uuid: require('uuid/package.json').version,
  scope: defaultScope,
};
