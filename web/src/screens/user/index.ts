// The user's screens: the gallery (the home screen: first with a navigation entry), upload, one
// image, consent, the account and its erasure.

import { EVERYONE, type Screen } from '../../screen.js';
import { AccountScreen } from './account.js';
import { ConsentScreen } from './consent.js';
import { GalleryScreen } from './gallery.js';
import { ImageScreen } from './image-view.js';
import { UploadScreen } from './upload.js';
import './user.css';

export const userScreens: readonly Screen[] = [
  { path: '/gallery', title: 'Gallery', roles: EVERYONE, nav: 'Photos', component: GalleryScreen },
  { path: '/upload', title: 'Upload', roles: EVERYONE, nav: 'Photos', component: UploadScreen },
  { path: '/images/:imageId', title: 'Photo', roles: EVERYONE, component: ImageScreen },
  { path: '/consent', title: 'Consent', roles: EVERYONE, nav: 'Account', component: ConsentScreen },
  { path: '/account', title: 'Account', roles: EVERYONE, nav: 'Account', component: AccountScreen },
];
