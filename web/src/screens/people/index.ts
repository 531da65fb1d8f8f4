// People: faces grouped into people, rename, merge, undo, search by photo.

import { EVERYONE, type Screen } from '../../screen.js';
import { PeopleScreen } from './people-screen.js';
import { PersonScreen } from './person-screen.js';
import './people.css';

export const peopleScreens: readonly Screen[] = [
  { path: '/people', title: 'People', roles: EVERYONE, nav: 'Photos', component: PeopleScreen },
  { path: '/people/:personId', title: 'Person', roles: EVERYONE, component: PersonScreen },
];
