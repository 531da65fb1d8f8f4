// What a 400 validation_failed says: every problem of the request part at once (ajv allErrors),
// one entry per field, in words a client can act on — a union of literals or an enum lists its
// allowed values (`must be one of 'admin', 'auditor', 'user'`) instead of ajv's "must be equal to
// constant" once per branch and "must match a schema in anyOf".

import type { FastifySchemaValidationError } from 'fastify/types/schema.js';

export interface ValidationEntry {
  /** JSON pointer into the request part (`/role`; `/email` for a missing property). */
  path: string;
  message: string;
  /** The values the field may take, when the schema lists them. */
  allowedValues?: unknown[];
}

/** At most this many entries (a huge array of bad items must not make a huge response). */
export const MAX_VALIDATION_ENTRIES = 50;

const quote = (v: unknown) => (typeof v === 'string' ? `'${v}'` : JSON.stringify(v));

export function validationEntries(errors: readonly FastifySchemaValidationError[]): ValidationEntry[] {
  // The branches of an anyOf are reported with it: drop them, keep the anyOf (with its constants).
  const anyOfPaths = errors.filter((e) => e.keyword === 'anyOf').map((e) => e.schemaPath);
  const underAnyOf = (e: FastifySchemaValidationError) => anyOfPaths.some((p) => e.schemaPath.startsWith(`${p}/`));
  const out: ValidationEntry[] = [];
  const seen = new Set<string>();
  for (const e of errors) {
    if (underAnyOf(e)) continue;
    const params = e.params as { missingProperty?: string; additionalProperty?: string; allowedValues?: unknown[] };
    let entry: ValidationEntry;
    if (e.keyword === 'anyOf') {
      const branches = errors.filter((b) => b.schemaPath.startsWith(`${e.schemaPath}/`) && b.instancePath === e.instancePath);
      const constants = branches.filter((b) => b.keyword === 'const').map((b) => (b.params as { allowedValue?: unknown }).allowedValue);
      entry = constants.length > 0 && constants.length === branches.length
        ? { path: e.instancePath, message: `must be one of ${constants.map(quote).join(', ')}`, allowedValues: constants }
        : { path: e.instancePath, message: `must be one of the allowed forms: ${[...new Set(branches.map((b) => b.message))].join('; ')}` };
    } else if (e.keyword === 'enum' && params.allowedValues) {
      entry = { path: e.instancePath, message: `must be one of ${params.allowedValues.map(quote).join(', ')}`, allowedValues: params.allowedValues };
    } else if (e.keyword === 'required' && params.missingProperty !== undefined) {
      entry = { path: `${e.instancePath}/${params.missingProperty}`, message: 'is required' };
    } else if (e.keyword === 'additionalProperties' && params.additionalProperty !== undefined) {
      entry = { path: `${e.instancePath}/${params.additionalProperty}`, message: 'is not a known property' };
    } else {
      entry = { path: e.instancePath, message: e.message ?? e.keyword };
    }
    const key = `${entry.path}\u0000${entry.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(entry);
    if (out.length === MAX_VALIDATION_ENTRIES) break;
  }
  return out;
}

/** `body/role must be one of 'admin', 'user'; body/n must be >= 1`. */
export function validationDetail(part: string | undefined, entries: readonly ValidationEntry[]): string {
  return entries.map((e) => `${part ?? 'request'}${e.path} ${e.message}`).join('; ');
}
