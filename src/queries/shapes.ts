// Response shapes (TypeBox) shared by every feature's shapes: REST validates and documents with
// them (OpenAPI), the query services' view types are their Static types.

import { Type } from '@sinclair/typebox';

export const PositionCursor = Type.String({ pattern: '^[0-9]{1,20}-[0-9]{1,20}$', description: 'Opaque position in the event log' });

export const Uuid = Type.String({ format: 'uuid' });

export const DateTime = Type.String({ format: 'date-time' });
