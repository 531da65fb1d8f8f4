// A GraphQL part: one feature's piece of the schema (SDL, extending the root types of schema.ts)
// with its resolvers and loaders. plugin.ts merges every part listed in parts.ts.

import type { IResolvers, MercuriusLoaders } from 'mercurius';
import type { AuditFeed } from '../../queries/audit/audit-feed.js';
import type { ImageOwners } from '../../queries/access/image-owners.js';
import type { UsersQuery } from '../../queries/identity/users-query.js';
import type { CachedImagesQuery } from '../../queries/images/cached-images-query.js';
import type { AccessLookup } from '../auth-guard.js';
import type { PeopleQuery } from '../../queries/people/people-query.js';
import type { FaceSearch } from '../../queries/recognition/face-search.js';
import type { EnsureConsistent } from '../consistency.js';
import type { GraphqlLimits } from './limits.js';
import type { liveTopics } from './live.js';

/** What the parts' resolvers and loaders are built from (each part takes what it needs). */
export interface GraphqlPartDeps {
  /** The REST routes' instance (behind the read cache when it is on). */
  images: CachedImagesQuery;
  users: UsersQuery;
  /** The audit feed (GET /v1/audit/events), for auditEvents. */
  audit: AuditFeed;
  /** Image → owner, for audit events that show faces (their access record names the owners). */
  imageOwners: ImageOwners;
  /** The caller's current role and status (checked again at each subscription message). */
  accounts: AccessLookup;
  ensureConsistent: EnsureConsistent;
  limits: GraphqlLimits;
  topics: ReturnType<typeof liveTopics>;
  /** People and face search (issue 17), with the consent check and the default threshold of the REST routes. */
  recognition: GraphqlRecognition;
}

export interface GraphqlRecognition {
  people: PeopleQuery;
  search: FaceSearch;
  /** 409 consent_required unless the user's face_recognition consent is in force. */
  requireConsent(userId: string): Promise<void>;
  defaultThreshold: number;
}

export interface GraphqlPart {
  /** SDL: the part's types, and `extend type Query` / `Subscription` / another part's type. */
  typeDefs: string;
  resolvers(deps: GraphqlPartDeps): IResolvers;
  loaders?(deps: GraphqlPartDeps): MercuriusLoaders;
}
