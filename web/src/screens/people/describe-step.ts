// One line for a step of a person's history (GET /v1/people/:id/history).

import type { HistoryEntry } from './people-api.js';

const faces = (n: number | undefined) => `${n ?? 0} face${n === 1 ? '' : 's'}`;

export function describeStep(step: HistoryEntry, nameOf: (personId: string) => string): string {
  const line = describe(step, nameOf);
  return line.charAt(0).toUpperCase() + line.slice(1);
}

function describe(step: HistoryEntry, nameOf: (personId: string) => string): string {
  const other = step.person ? nameOf(step.person) : 'another person';
  const undone = step.undoes === null ? '' : ` (undoing step ${step.undoes})`;
  switch (step.type) {
    case 'PersonCreated':
      return `Made with ${faces(step.faceIds?.length)}${step.name ? `, named “${step.name}”` : ''}`;
    case 'PersonRenamed':
      return `${step.name ? `Renamed “${step.name}”` : 'Name removed'}${undone}`;
    case 'FacesAssigned':
      return `${faces(step.faceIds?.length)} added${undone}`;
    case 'FacesReleased':
      return `${faces(step.faceIds?.length)} taken out${step.reason === 'moved' ? ` (moved to ${other})` : step.reason === 'reembedded' ? ' (analysed again)' : ''}${undone}`;
    case 'PersonAbsorbed':
      return `${other} merged in (${faces(step.faceIds?.length)})`;
    case 'PersonMergedInto':
      return `Merged into ${other}`;
    case 'PersonRestored':
      return `Restored${step.person ? ` from ${other}` : ''}${undone}`;
    case 'PersonDeleted':
      return `Deleted${undone}`;
    default:
      return step.type;
  }
}
