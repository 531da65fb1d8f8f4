// The identity feature's REST routes: /v1/auth/* and /v1/users, /v1/me; the privacy policy and
// the caller's consents (src/http/routes/privacy/).

import { publishedPolicy } from '../../../privacy/policy/index.js';
import type { RouteGroup } from '../../route-group.js';
import { consentRoutes } from '../privacy/consents.js';
import { policyRoutes } from '../privacy/policy.js';
import { authRoutes } from './auth.js';
import { LoginThrottle } from './login-throttle.js';
import { userRoutes } from './users.js';

export const identityRouteGroup: RouteGroup = {
  name: 'identity',
  register(app, s) {
    const { config, redis, logger, tokens } = s.rt;
    authRoutes(app, {
      identity: s.identity,
      tokens,
      throttle: new LoginThrottle(redis, config.redisKeyPrefix, { perClient: config.auth.failedLoginsPerAccount, backstop: config.auth.failedLoginsBackstop }, logger),
      rateLimitPerIpPerMinute: config.auth.rateLimitPerIpPerMinute,
      secureCookie: config.nodeEnv === 'production',
    });
    userRoutes(app, { identity: s.identity, users: s.users, history: s.userHistory, ...s.guards, ensureConsistent: s.ensureConsistent });
    const policy = publishedPolicy(config.privacy.biometricRetentionDays);
    policyRoutes(app, policy);
    consentRoutes(app, { identity: s.identity, policy, authenticate: s.guards.authenticate });
  },
};
