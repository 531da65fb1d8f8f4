import type { GraphqlPart } from '../part.js';
import { recognitionResolvers } from './resolvers.js';
import { recognitionTypeDefs } from './schema.js';

export const recognitionPart: GraphqlPart = { typeDefs: recognitionTypeDefs, resolvers: recognitionResolvers };
