// The GraphQL schema (SDL). Served as generated text at GET /graphql/schema.graphql; the types
// mirror the REST responses (src/http/routes/images.ts, users.ts), both built on src/queries.

export const typeDefs = /* GraphQL */ `
  """
  Every query field takes consistentWith: a position cursor from a command's response. The read
  waits (bounded) until the read model has applied it, else fails with code projection_lagging.
  """
  type Query {
    "The calling user."
    me(consistentWith: String): User
    "One image; null when it does not exist or is not yours (code image_not_found)."
    image(id: ID!, consistentWith: String): Image
    "Your images (everyone's for admins and auditors), newest first unless ordering: OLDEST_FIRST."
    images(
      first: Int = 20
      after: String
      status: ImageStatus
      "Inclusive lower bound of uploadedAt (ISO date-time)."
      uploadedFrom: String
      "Exclusive upper bound of uploadedAt (ISO date-time)."
      uploadedTo: String
      ordering: ImageOrdering = NEWEST_FIRST
      consistentWith: String
    ): ImageConnection!
    "Per-day totals (yours; everyone's for admins and auditors). Days are YYYY-MM-DD; default the last 30 days, at most 366."
    stats(from: String, to: String, consistentWith: String): [DayStats!]!
    "Every user, by id (admins and auditors only)."
    users(first: Int = 20, after: String, consistentWith: String): UserConnection!
    "A user: yourself, or anyone for admins and auditors; null otherwise (code user_not_found)."
    user(id: ID!, consistentWith: String): User
    """
    The event log in commit order, for auditors and admins (code forbidden otherwise): the feed of
    GET /v1/audit/events. types and streamPrefix filter in the store; actor (metadata.actor.id) and
    from/to (recordedAt, ISO date-time, inclusive) while paging.
    """
    auditEvents(after: String, first: Int = 100, types: [String!], streamPrefix: String, actor: String, from: String, to: String): AuditEventPage!
  }

  "Any JSON value: an event's data and metadata as recorded (secrets such as password hashes redacted)."
  scalar JSON

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

  type Subscription {
    """
    The image now, then again each time its projection commits a change (status, then the faces
    once analysed). Yours only (any for admins and auditors). Completes when the image is deleted.
    """
    imageUpdated(id: ID!, consistentWith: String): Image!
    "Each change to any of your images (uploaded, analysed, failed) as its projection commits it."
    myImages: Image!
  }

  enum ImageStatus {
    pending
    analyzed
    failed
  }

  enum ImageOrdering {
    "uploadedAt descending (REST ordering=-uploadedAt)"
    NEWEST_FIRST
    "uploadedAt ascending (REST ordering=uploadedAt)"
    OLDEST_FIRST
  }

  enum Role {
    user
    auditor
    admin
  }

  enum UserStatus {
    active
    deactivated
  }

  type User {
    id: ID!
    email: String!
    displayName: String!
    role: Role!
    status: UserStatus!
    createdAt: String!
    updatedAt: String!
    "Their images, newest first (yourself, or anyone for admins and auditors)."
    images(first: Int = 20, after: String, status: ImageStatus): ImageConnection!
  }

  type Image {
    id: ID!
    owner: User
    filename: String!
    contentType: String!
    bytes: Int!
    width: Int!
    height: Int!
    sha256: String!
    status: ImageStatus!
    faceCount: Int
    model: Model
    analysisMs: Int
    error: AnalysisError
    uploadedAt: String!
    analyzedAt: String
    updatedAt: String!
    "The faces of the latest analysis (empty until analysed)."
    faces: [Face!]!
  }

  type Model {
    name: String!
    version: String!
    sha256: String!
  }

  type AnalysisError {
    code: String!
    message: String!
  }

  type Face {
    box: Box!
    score: Float!
    "68 points in iBUG/dlib order, image pixels."
    landmarks: [Point!]!
    "128-D face descriptor."
    descriptor: [Float!]!
  }

  type Box {
    x: Float!
    y: Float!
    width: Float!
    height: Float!
  }

  type Point {
    x: Float!
    y: Float!
  }

  type DayStats {
    day: String!
    uploads: Int!
    analyses: Int!
    failures: Int!
    faces: Int!
    deletions: Int!
  }

  type PageInfo {
    hasNextPage: Boolean!
    endCursor: String
  }

  type ImageEdge {
    cursor: String!
    node: Image!
  }

  type ImageConnection {
    edges: [ImageEdge!]!
    pageInfo: PageInfo!
  }

  type UserEdge {
    cursor: String!
    node: User!
  }

  type UserConnection {
    edges: [UserEdge!]!
    pageInfo: PageInfo!
  }
`;
