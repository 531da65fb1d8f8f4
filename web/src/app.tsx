// The console's shell: restores the session from the refresh cookie, shows sign-in without one,
// and otherwise the navigation (the screens the user's role may open) and the current screen.

import { useEffect, useState } from 'preact/hooks';
import { onSessionChange } from './api/client.js';
import { currentUser, restoreSession, signOut, type Me } from './api/session.js';
import { match, navigate, useLocation } from './router.js';
import { screens } from './routes.js';
import type { Screen } from './screen.js';
import { SignIn } from './screens/auth/sign-in.js';
import { SessionContext, type SessionState } from './session-context.js';
import { ErrorNote, Spinner } from './ui/kit.js';

const NAV_ORDER = ['Photos', 'Audit', 'Admin', 'Account'] as const;

/** Where each role starts: its own work (a screen of its role, else the first it may open). */
const HOME: Record<Me['role'], string> = { user: '/gallery', auditor: '/audit', admin: '/admin/users' };

function homeOf(me: Me): string {
  const preferred = screens.find((s) => s.path === HOME[me.role] && s.roles.includes(me.role));
  return preferred?.path ?? screens.find((s) => s.nav && s.roles.includes(me.role))?.path ?? '/consent';
}

export function App() {
  const [me, setMe] = useState<Me | undefined>();
  const [phase, setPhase] = useState<'restoring' | 'ready'>('restoring');
  const [error, setError] = useState<unknown>();
  const loc = useLocation();

  useEffect(() => {
    restoreSession().then(
      (user) => {
        setMe(user);
        setPhase('ready');
      },
      (err: unknown) => {
        setError(err);
        setPhase('ready');
      },
    );
    return onSessionChange((signedIn) => {
      if (!signedIn) setMe(undefined);
    });
  }, []);

  if (phase === 'restoring') return <Spinner label="Opening the console…" />;
  if (!me) {
    return (
      <>
        <ErrorNote error={error} />
        <SignIn
          onSignedIn={(registeredAt) => {
            void currentUser(registeredAt).then((user) => {
              setMe(user);
              navigate(registeredAt ? '/consent' : homeOf(user));
            }, setError);
          }}
        />
      </>
    );
  }

  const session: SessionState = {
    me,
    refreshMe: async () => setMe(await currentUser()),
    signOut: async () => {
      await signOut();
      setMe(undefined);
      navigate('/');
    },
  };
  const mine = screens.filter((s) => s.roles.includes(me.role));
  let screen: Screen | undefined;
  let params: Record<string, string> = {};
  for (const s of mine) {
    const p = match(s.path, loc.path);
    if (p) {
      screen = s;
      params = p;
      break;
    }
  }
  if (loc.path === '/' && !screen) {
    // Unless a navigation is under way (loc follows on hashchange): right after sign-up
    // navigate('/consent') has set the hash, and the new user must not be sent home instead.
    if ((location.hash.replace(/^#/, '') || '/') === '/') navigate(homeOf(me));
    return null;
  }
  const Current = screen?.component;

  return (
    <SessionContext.Provider value={session}>
      <a class="skip" href="#main" onClick={(e) => (e.preventDefault(), document.getElementById('main')?.focus())}>
        Skip to content
      </a>
      <div class="shell">
        <header class="top">
          <span class="brand">facetrail</span>
          <nav aria-label="Console">
            {NAV_ORDER.map((heading) => {
              const items = mine.filter((s) => s.nav === heading);
              if (items.length === 0) return null;
              return (
                <div class="nav-group" key={heading}>
                  <span class="nav-heading" id={`nav-${heading}`}>
                    {heading}
                  </span>
                  <ul aria-labelledby={`nav-${heading}`}>
                    {items.map((s) => (
                      <li key={s.path}>
                        <a href={`#${s.path}`} aria-current={s === screen ? 'page' : undefined}>
                          {s.title}
                        </a>
                      </li>
                    ))}
                  </ul>
                </div>
              );
            })}
          </nav>
          <div class="who">
            <span>
              {me.displayName} <small class="role">{me.role}</small>
            </span>
            <button type="button" class="secondary" onClick={() => void session.signOut()}>
              Sign out
            </button>
          </div>
        </header>
        <main id="main" tabIndex={-1}>
          {Current ? (
            <Current params={params} query={loc.query} />
          ) : (
            <section class="page">
              <h1>Not found</h1>
              <p>
                No screen at <code>{loc.path}</code> for the role {me.role}. <a href={`#${homeOf(me)}`}>Go to the start</a>.
              </p>
            </section>
          )}
        </main>
      </div>
    </SessionContext.Provider>
  );
}
