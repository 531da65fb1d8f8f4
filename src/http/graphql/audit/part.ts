import type { GraphqlPart } from '../part.js';
import { auditResolvers } from './resolvers.js';
import { auditTypeDefs } from './schema.js';

export const auditPart: GraphqlPart = { typeDefs: auditTypeDefs, resolvers: auditResolvers };
