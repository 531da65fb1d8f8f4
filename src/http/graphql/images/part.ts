import type { GraphqlPart } from '../part.js';
import { createLoaders } from './loaders.js';
import { imagesResolvers } from './resolvers.js';
import { imagesTypeDefs } from './schema.js';
import { createSubscriptionResolvers } from './subscriptions.js';

export const imagesPart: GraphqlPart = {
  typeDefs: imagesTypeDefs,
  resolvers: (deps) => ({ ...imagesResolvers(deps), ...createSubscriptionResolvers(deps) }),
  loaders: (deps) => createLoaders(deps.images, deps.users),
};
