import type { GraphqlPart } from '../part.js';
import { identityResolvers } from './resolvers.js';
import { identityTypeDefs } from './schema.js';

export const identityPart: GraphqlPart = { typeDefs: identityTypeDefs, resolvers: identityResolvers };
