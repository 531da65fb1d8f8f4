// A screen of the console: its route pattern, title, who may open it, and whether (and under
// which heading) the navigation lists it. Each feature folder under screens/ exports its list;
// routes.ts joins them.

import type { FunctionComponent } from 'preact';
import type { Role } from './api/session.js';

export interface ScreenProps {
  params: Record<string, string>;
  query: URLSearchParams;
}

export interface Screen {
  /** e.g. /images/:imageId */
  path: string;
  title: string;
  /** Roles that may open it; the navigation hides it from the others. */
  roles: readonly Role[];
  /** Listed in the navigation under this heading (parameterised screens are not). */
  nav?: 'Photos' | 'Audit' | 'Admin' | 'Account';
  component: FunctionComponent<ScreenProps>;
}

export const EVERYONE: readonly Role[] = ['user', 'auditor', 'admin'];
export const STAFF: readonly Role[] = ['auditor', 'admin'];
export const ADMINS: readonly Role[] = ['admin'];
