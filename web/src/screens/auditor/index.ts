// The auditor's screens: the event timeline, one image's history, log verification, the access log.

import { STAFF, type Screen } from '../../screen.js';
import { AccessLogScreen } from './access-log.js';
import './auditor.css';
import { ImageHistoryScreen } from './image-history.js';
import { TimelineScreen } from './timeline.js';
import { VerificationScreen } from './verification.js';

export const auditorScreens: readonly Screen[] = [
  { path: '/audit', title: 'Timeline', roles: STAFF, nav: 'Audit', component: TimelineScreen },
  { path: '/audit/images/:imageId', title: 'Image history', roles: STAFF, component: ImageHistoryScreen },
  { path: '/audit/verify', title: 'Verification', roles: STAFF, nav: 'Audit', component: VerificationScreen },
  { path: '/audit/access', title: 'Access log', roles: STAFF, nav: 'Audit', component: AccessLogScreen },
];
