// The audit feed: the event log in commit order (the feed of GET /v1/audit/events).

export const auditTypeDefs = /* GraphQL */ `
  extend type Query {
    """
    The event log in commit order, for auditors and admins (code forbidden otherwise): the feed of
    GET /v1/audit/events. types and streamPrefix filter in the store; actor (metadata.actor.id) and
    from/to (recordedAt, ISO date-time, inclusive) while paging.
    """
    auditEvents(after: String, first: Int = 100, types: [String!], streamPrefix: String, actor: String, from: String, to: String): AuditEventPage!
  }

  type AuditEvent {
    id: ID!
    stream: String!
    "The event's revision in its stream (decimal string: revisions are 64-bit)."
    revision: String!
    "Its position in the global log, as a cursor."
    position: String!
    type: String!
    data: JSON
    metadata: JSON!
    recordedAt: String!
  }

  type AuditEventPage {
    events: [AuditEvent!]!
    "Pass as after for the next page; polling with it never skips or repeats an event."
    nextCursor: String!
  }
`;
