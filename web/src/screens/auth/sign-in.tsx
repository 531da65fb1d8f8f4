// Sign in, or sign up (then sign in, then the consent screen).

import { useState } from 'preact/hooks';
import { describeError } from '../../api/problem.js';
import { signIn, signUp } from '../../api/session.js';
import { Field } from '../../ui/kit.js';

export function SignIn(props: { onSignedIn: (registeredAt?: string) => void }) {
  const [mode, setMode] = useState<'in' | 'up'>('in');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget as HTMLFormElement);
    const text = (name: string) => {
      const v = form.get(name);
      return typeof v === 'string' ? v : '';
    };
    const email = text('email');
    const password = text('password');
    setBusy(true);
    setError(undefined);
    try {
      let position: string | undefined;
      if (mode === 'up') position = (await signUp({ email, password, displayName: text('displayName') })).position;
      await signIn(email, password);
      props.onSignedIn(position);
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main class="sign-in" id="main">
      <h1>facetrail</h1>
      <p class="muted">Auditable, forgettable face analysis.</p>
      <form onSubmit={(e) => void submit(e)} aria-label={mode === 'in' ? 'Sign in' : 'Sign up'}>
        <h2>{mode === 'in' ? 'Sign in' : 'Create an account'}</h2>
        {mode === 'up' ? <Field label="Display name" name="displayName" required maxLength={100} autoComplete="name" /> : null}
        <Field label="E-mail" name="email" type="email" required maxLength={254} autoComplete="email" />
        <Field
          label="Password"
          name="password"
          type="password"
          required
          minLength={mode === 'up' ? 10 : 1}
          maxLength={256}
          autoComplete={mode === 'up' ? 'new-password' : 'current-password'}
          hint={mode === 'up' ? 'At least 10 characters' : undefined}
        />
        {error ? (
          <p class="error" role="alert">
            {error}
          </p>
        ) : null}
        <button type="submit" disabled={busy}>
          {mode === 'in' ? 'Sign in' : 'Sign up'}
        </button>
        <button type="button" class="link" onClick={() => setMode(mode === 'in' ? 'up' : 'in')}>
          {mode === 'in' ? 'No account? Sign up' : 'Have an account? Sign in'}
        </button>
      </form>
    </main>
  );
}
