// Consent to the published policy, per purpose (face analysis, face recognition): given under the
// version shown here, withdrawn with one click (withdrawal erases what was collected under it).

import { useState } from 'preact/hooks';
import { api, get } from '../../api/client.js';
import { ErrorNote, Page, Spinner, useLoad } from '../../ui/kit.js';

interface Policy {
  version: string;
  text: string;
  textSha256: string;
  purposes: string[];
  retention: { biometricDays: number };
}

interface Consent {
  purpose: string;
  given: boolean;
  current: boolean;
  policyVersion: string | null;
}

const PURPOSE_LABEL: Record<string, string> = {
  face_analysis: 'Face analysis: find the faces, their landmarks and descriptors in my photos',
  face_recognition: 'Face recognition: group my faces into people and search them',
};

export function ConsentScreen() {
  const policy = useLoad(() => get<Policy>('/v1/privacy/policy'), []);
  const consents = useLoad(() => get<{ consents: Consent[] }>('/v1/me/consents'), []);
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);

  const change = async (purpose: string, give: boolean) => {
    if (!policy.data) return;
    setBusy(true);
    setError(undefined);
    try {
      if (give) await api('POST', '/v1/me/consents', { body: { purpose, policyVersion: policy.data.version } });
      else await api('DELETE', `/v1/me/consents/${purpose}`);
      consents.reload();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Page title="Consent">
      <ErrorNote error={policy.error ?? consents.error ?? error} />
      {!policy.data || !consents.data ? (
        <Spinner />
      ) : (
        <>
          <p>
            Policy version <strong>{policy.data.version}</strong>; biometric data is destroyed {policy.data.retention.biometricDays} days after your last
            activity. Withdrawing a consent stops the collection and erases what was collected under it.
          </p>
          <details class="policy">
            <summary>Read the policy</summary>
            <pre>{policy.data.text}</pre>
          </details>
          <ul class="consents">
            {policy.data.purposes.map((purpose) => {
              const c = consents.data?.consents.find((x) => x.purpose === purpose);
              const given = c?.current === true;
              return (
                <li key={purpose}>
                  <span>
                    {PURPOSE_LABEL[purpose] ?? purpose}
                    <br />
                    <small class="muted">{given ? `given under ${c?.policyVersion ?? ''}` : c?.given ? 'given under an older policy: give it again' : 'not given'}</small>
                  </span>
                  <button type="button" class={given ? 'secondary' : ''} disabled={busy} onClick={() => void change(purpose, !given)} data-purpose={purpose}>
                    {given ? 'Withdraw' : 'I consent'}
                  </button>
                </li>
              );
            })}
          </ul>
        </>
      )}
    </Page>
  );
}
