// The access log's personal data (DESIGN.md §9): who read, whose data and why (`parties`: one
// sealed field for all the records of an event) — sealed under the day's `access_log` key
// (period-key.ts), so retention ends a whole day by shredding one key and the sealed form the
// notary hashed stays as it was. Record ids, fields, routes, request ids and counts stay clear.

import type { PersonalDataDeclaration } from '../../privacy/declarations.js';
import { dayOfAccessStream } from './access-events.js';
import { accessPeriodSubject } from './period-key.js';

export const accessPersonalData: PersonalDataDeclaration = {
  BiometricDataAccessed: {
    fields: ['parties'],
    key: (stream) => {
      const day = dayOfAccessStream(stream);
      if (day === undefined) throw new Error(`BiometricDataAccessed belongs in an access-YYYY-MM-DD-<shard> stream, not '${stream}'`);
      return { purpose: 'access_log', subjectId: accessPeriodSubject(day) };
    },
  },
};
