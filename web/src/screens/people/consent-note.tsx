// What the people screens show without face_recognition consent (409 consent_required).

import { ProblemError } from '../../api/problem.js';

export const needsConsent = (err: unknown) => err instanceof ProblemError && err.code === 'consent_required';

export function RecognitionConsentNote() {
  return (
    <div class="card consent-note" role="note">
      <h2>Face recognition is off</h2>
      <p>
        Grouping your faces into people and searching them compares the faces of your photos with each other. That needs your consent to <strong>face recognition</strong>, which you have not
        given (or have withdrawn: your people were erased with it).
      </p>
      <p>
        <a href="#/consent">Give it on the Consent screen</a>; from then on, the faces of your newly analysed photos form people by themselves, and you can search them.
      </p>
    </div>
  );
}
