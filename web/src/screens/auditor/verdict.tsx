// The outcome of a verification: verified only when every check held, each check listed with ✓/✗.

import type { Check } from './verify-proofs.js';

export function Verdict(props: { checks: readonly Check[]; verified: string; failed: string }) {
  const ok = props.checks.length > 0 && props.checks.every((c) => c.ok);
  return (
    <div class={ok ? 'au-verdict au-verified' : 'au-verdict au-failed'} data-verdict={ok ? 'verified' : 'failed'}>
      <p class="au-verdict-line">
        <strong>{ok ? 'Verified' : 'Failed'}</strong>: {ok ? props.verified : props.failed}
      </p>
      <ul class="au-checks">
        {props.checks.map((c) => (
          <li key={c.label} class={c.ok ? 'au-ok' : 'au-bad'}>
            <span aria-hidden="true">{c.ok ? '✓ ' : '✗ '}</span>
            <span class="au-visually-hidden">{c.ok ? 'Passed: ' : 'Failed: '}</span>
            {c.label}
            {c.detail ? <small> — {c.detail}</small> : null}
          </li>
        ))}
      </ul>
    </div>
  );
}
