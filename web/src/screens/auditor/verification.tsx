// Verification: the latest signed checkpoint (its signature checked here), the list of
// checkpoints, an event's inclusion proof and the consistency of two checkpoints — every hash
// recomputed in the browser (./verify-proofs.ts), so the screen shows what the math says, not what
// the server claims.

import { useEffect, useState } from 'preact/hooks';
import { ProblemError } from '../../api/problem.js';
import type { ScreenProps } from '../../screen.js';
import { ErrorNote, Field, Page, Spinner, useLoad } from '../../ui/kit.js';
import { checkpointPage, consistencyProof, inclusionProof, latestCheckpoint, type Checkpoint } from './audit-api.js';
import { checkSignature } from './checkpoint-signature.js';
import { formatInstant } from './time.js';
import { Verdict } from './verdict.js';
import { canonicalSummary, checkConsistency, checkInclusion, type Check } from './verify-proofs.js';

export function VerificationScreen(props: ScreenProps) {
  const latest = useLoad(
    (signal) =>
      latestCheckpoint(signal).catch((err: unknown) => {
        if (err instanceof ProblemError && err.code === 'checkpoint_not_found') return null;
        throw err;
      }),
    [],
  );
  const list = useCheckpointList(latest.data?.treeSize);
  return (
    <Page
      title="Verification"
      actions={
        <button type="button" class="secondary" onClick={latest.reload}>
          Refresh checkpoints
        </button>
      }
    >
      <section aria-labelledby="latest-title" class="card">
        <h2 id="latest-title">Latest signed checkpoint</h2>
        <ErrorNote error={latest.error} />
        {latest.loading && latest.data === undefined ? <Spinner label="Loading the latest checkpoint…" /> : null}
        {latest.data === null ? <p>No checkpoint has been signed yet.</p> : null}
        {latest.data ? <CheckpointFacts cp={latest.data} /> : null}
      </section>
      <InclusionForm initialEvent={props.query.get('event') ?? ''} />
      <ConsistencyForm checkpoints={list.checkpoints} />
      <section aria-labelledby="list-title">
        <h2 id="list-title">Checkpoints</h2>
        <ErrorNote error={list.error} />
        <table>
          <caption class="au-visually-hidden">Signed checkpoints, newest first</caption>
          <thead>
            <tr>
              <th scope="col">Tree size</th>
              <th scope="col">Signed at</th>
              <th scope="col">Root hash</th>
              <th scope="col">Log position</th>
            </tr>
          </thead>
          <tbody>
            {list.checkpoints.map((cp) => (
              <tr key={cp.treeSize} data-tree-size={cp.treeSize}>
                <td>{cp.treeSize}</td>
                <td>{formatInstant(cp.signedAt)}</td>
                <td>
                  <code class="au-hash">{cp.rootHash}</code>
                </td>
                <td>
                  <code>{cp.position}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {list.next ? (
          <button type="button" class="secondary" onClick={list.more}>
            Older checkpoints
          </button>
        ) : null}
      </section>
    </Page>
  );
}

function useCheckpointList(newest: number | undefined) {
  const [checkpoints, setCheckpoints] = useState<Checkpoint[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [error, setError] = useState<unknown>();
  const load = (cursor: string | undefined) =>
    checkpointPage(cursor).then(
      (page) => {
        setCheckpoints((old) => (cursor ? [...old, ...page.checkpoints] : page.checkpoints));
        setNext(page.nextCursor);
        setError(undefined);
      },
      (err: unknown) => setError(err),
    );
  useEffect(() => void load(undefined), [newest]);
  return { checkpoints, next, error, more: () => void (next && load(next)) };
}

function CheckpointFacts(props: { cp: Checkpoint }) {
  const { cp } = props;
  const signature = useLoad(() => checkSignature(cp), [cp.jws]);
  return (
    <dl class="au-facts">
      <dt>Tree size</dt>
      <dd data-fact="treeSize">{cp.treeSize} events</dd>
      <dt>Root hash</dt>
      <dd>
        <code class="au-hash">{cp.rootHash}</code>
      </dd>
      <dt>Log position</dt>
      <dd>
        <code>{cp.position}</code>
      </dd>
      <dt>Signed at</dt>
      <dd>{formatInstant(cp.signedAt)}</dd>
      <dt>Signature</dt>
      <dd data-fact="signature">
        {signature.loading ? 'checking…' : signature.data?.ok ? `valid (EdDSA, key ${cp.kid} from /.well-known/jwks.json)` : `not valid: ${signature.data?.ok === false ? signature.data.reason : String(signature.error)}`}
      </dd>
    </dl>
  );
}

function InclusionForm(props: { initialEvent: string }) {
  const [eventId, setEventId] = useState(props.initialEvent);
  const [treeSize, setTreeSize] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const [result, setResult] = useState<{ checks: Check[]; text: string } | undefined>();
  useEffect(() => setEventId(props.initialEvent), [props.initialEvent]);

  const verify = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    setResult(undefined);
    try {
      const id = eventId.trim();
      const proof = await inclusionProof(id, treeSize.trim() ? Number(treeSize) : undefined);
      const s = canonicalSummary(proof.canonical);
      setResult({ checks: await checkInclusion(id, proof), text: `${s.type ?? 'event'} in ${s.stream ?? '?'} (revision ${String(s.revision)}) is leaf ${proof.leafIndex} of the signed tree of ${proof.treeSize} events` });
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby="inclusion-title" class="card">
      <h2 id="inclusion-title">Verify an event's inclusion</h2>
      <form onSubmit={(e) => void verify(e)}>
        <Field label="Event id" value={eventId} required maxLength={36} pattern="[0-9a-fA-F-]{36}" hint="The id of an event (from the timeline or the access log)" onInput={(e) => setEventId(e.currentTarget.value)} />
        <Field label="Checkpoint tree size" value={treeSize} inputMode="numeric" pattern="[1-9][0-9]{0,15}" hint="Empty: the latest checkpoint" onInput={(e) => setTreeSize(e.currentTarget.value)} />
        <button type="submit" disabled={busy}>
          Verify inclusion
        </button>
      </form>
      <div aria-live="polite">
        {busy ? <Spinner label="Fetching the proof and hashing…" /> : null}
        <ErrorNote error={error} />
        {result ? <Verdict checks={result.checks} verified={result.text} failed="the event is not proven to be in the signed log" /> : null}
      </div>
    </section>
  );
}

function ConsistencyForm(props: { checkpoints: Checkpoint[] }) {
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const [checks, setChecks] = useState<Check[] | undefined>();
  const sizes = props.checkpoints.map((c) => String(c.treeSize));
  // Defaults: the oldest and the newest checkpoint listed.
  const fromValue = from || (sizes.at(-1) ?? '');
  const toValue = to || (sizes[0] ?? '');

  const check = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    setChecks(undefined);
    try {
      setChecks(await checkConsistency(await consistencyProof(Number(fromValue), Number(toValue))));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  if (sizes.length === 0) return null;
  return (
    <section aria-labelledby="consistency-title" class="card">
      <h2 id="consistency-title">Consistency of two checkpoints</h2>
      <form class="au-inline-form" onSubmit={(e) => void check(e)}>
        <div class="field">
          <label for="consistency-from">Earlier checkpoint (tree size)</label>
          <select id="consistency-from" value={fromValue} onChange={(e) => setFrom(e.currentTarget.value)}>
            {sizes.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="consistency-to">Later checkpoint (tree size)</label>
          <select id="consistency-to" value={toValue} onChange={(e) => setTo(e.currentTarget.value)}>
            {sizes.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </div>
        <button type="submit" disabled={busy}>
          Check consistency
        </button>
      </form>
      <div aria-live="polite">
        {busy ? <Spinner label="Fetching the proof and hashing…" /> : null}
        <ErrorNote error={error} />
        {checks ? <Verdict checks={checks} verified={`the log of ${toValue} events extends the log of ${fromValue} events: nothing before was changed`} failed="the two checkpoints are not proven consistent" /> : null}
      </div>
    </section>
  );
}
