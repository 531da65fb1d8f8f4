// The admin's screens: users (roles, deactivation, erasure) and the queue board.

import { ADMINS, type Screen } from '../../screen.js';
import './admin.css';
import { QueueBoardScreen } from './queue-board-screen.js';
import { UsersScreen } from './users-screen.js';

export const adminScreens: readonly Screen[] = [
  { path: '/admin/users', title: 'Users', roles: ADMINS, nav: 'Admin', component: UsersScreen },
  { path: '/admin/queues', title: 'Queues', roles: ADMINS, nav: 'Admin', component: QueueBoardScreen },
];
