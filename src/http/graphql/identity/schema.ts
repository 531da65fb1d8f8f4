// Users: the caller, one user, every user (staff).

export const identityTypeDefs = /* GraphQL */ `
  extend type Query {
    "The calling user."
    me(consistentWith: String): User
    "Every user, by id (admins and auditors only)."
    users(first: Int = 20, after: String, consistentWith: String): UserConnection!
    "A user: yourself, or anyone for admins and auditors; null otherwise (code user_not_found)."
    user(id: ID!, consistentWith: String): User
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
