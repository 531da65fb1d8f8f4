// Every route group of the API, in registration order: the REST features, then GraphQL (an
// encapsulated plugin whose error handler must not leak into the REST routes). A new feature adds
// its group here.

import { graphqlRouteGroup } from './graphql/route-group.js';
import type { RouteGroup } from './route-group.js';
import { accessRouteGroup } from './routes/access/index.js';
import { auditRouteGroup } from './routes/audit/index.js';
import { identityRouteGroup } from './routes/identity/index.js';
import { imagesRouteGroup } from './routes/images/index.js';
import { privacyRouteGroup } from './routes/privacy/index.js';
import { recognitionRouteGroup } from './routes/recognition/index.js';
import { peopleRouteGroup } from './routes/people/index.js';
import { queueBoardRouteGroup } from './routes/ops/index.js';
import { consoleRouteGroup } from './routes/console/index.js';
import { subjectExportRouteGroup } from './routes/privacy/subject-export.js';

export const routeGroups: readonly RouteGroup[] = [identityRouteGroup, imagesRouteGroup, recognitionRouteGroup, peopleRouteGroup, privacyRouteGroup, auditRouteGroup, accessRouteGroup, subjectExportRouteGroup, queueBoardRouteGroup, consoleRouteGroup, graphqlRouteGroup];
