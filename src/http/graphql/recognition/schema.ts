// People and face search (issue 17): the caller's own people and gallery (face_recognition consent,
// code consent_required otherwise); a search is an identification and is in the access log before
// the answer leaves. The shapes follow GET /v1/people… and POST /v1/faces/search.

export const recognitionTypeDefs = /* GraphQL */ `
  extend type Query {
    "Your people, newest first."
    people(first: Int = 50, after: String, consistentWith: String): PersonPage!
    "One of your people (null with code person_not_found otherwise)."
    person(id: ID!, consistentWith: String): Person
    "The faces of your gallery nearest to one of your faces (itself left out), within the threshold (default RECOGNITION_MATCH_THRESHOLD)."
    searchFaces(faceId: ID!, k: Int = 10, threshold: Float, consistentWith: String): FaceSearchResult!
  }

  extend type Subscription {
    "One of your people as it changes (a notice after each curation step is applied)."
    personUpdated(id: ID!): Person!
    "Each change to any of your people (made, renamed, merged, undone…, by you or automatically) as it is applied."
    myPeople: Person!
  }

  type Person {
    personId: ID!
    "null: unnamed; [erased] once its key is shredded."
    name: String
    status: PersonStatus!
    mergedInto: ID
    faceCount: Int!
    "The revision of its stream (undo toRevision takes one)."
    revision: String!
    createdAt: String!
    updatedAt: String!
    faces: [PersonFace!]!
  }

  enum PersonStatus {
    active
    merged
    deleted
  }

  "Who took a curation step: a user, or the automatic people reactor."
  enum CurationBy {
    user
    auto
  }

  type PersonFace {
    faceId: ID!
    imageId: ID!
    by: CurationBy!
    distance: Float
  }

  type PersonPage {
    items: [Person!]!
    nextCursor: String
  }

  type FaceMatch {
    faceId: ID!
    imageId: ID!
    personId: ID
    distance: Float!
  }

  type FaceRef {
    faceId: ID!
    imageId: ID!
  }

  type FaceSearchResult {
    matches: [FaceMatch!]!
    unknown: Boolean!
    threshold: Float!
    gallerySize: Int!
    "The analysis model whose descriptors were compared."
    modelSha256: String!
    query: FaceRef!
  }
`;
