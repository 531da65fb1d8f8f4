// Images: one image, a page of them, per-day totals, live updates; and a user's images.

export const imagesTypeDefs = /* GraphQL */ `
  extend type Query {
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
  }

  extend type Subscription {
    """
    The image now, then again each time its projection commits a change (status, then the faces
    once analysed). Yours only (any for admins and auditors). Completes when the image is deleted.
    """
    imageUpdated(id: ID!, consistentWith: String): Image!
    "Each change to any of your images (uploaded, analysed, failed) as its projection commits it."
    myImages: Image!
  }

  extend type User {
    "Their images, newest first (yourself, or anyone for admins and auditors)."
    images(first: Int = 20, after: String, status: ImageStatus): ImageConnection!
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
    "Stable id of the face: the same for every read, rebuild and re-analysis with the same model."
    faceId: ID!
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

  type ImageEdge {
    cursor: String!
    node: Image!
  }

  type ImageConnection {
    edges: [ImageEdge!]!
    pageInfo: PageInfo!
  }
`;
