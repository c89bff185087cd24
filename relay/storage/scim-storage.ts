/**
 * The directory-sync half of the storage interface (SCIM 2.0, issue 7): users and groups pushed
 * by Entra ID or Okta, their memberships, and the devices refused because their user was
 * deactivated. Staff names live only in these directory tables (DESIGN §5). Both backends
 * (sqlite-scim.ts, postgres-scim.ts) run scim-contract.ts. Storage never interprets the SCIM
 * document beyond the indexed columns; relay/scim/ owns its shape.
 */

export type ScimUserRow = {
  /** The SCIM resource id (relay-made UUID). */
  id: string
  /** The Wardline user id authorizations for this person must carry ('u' + 16 hex). */
  userId: string
  externalId: string | null
  userName: string
  active: boolean
  displayName: string | null
  /** The whole SCIM user (name parts, emails, enterprise extension…) as JSON, without id/meta. */
  document: string
  createdAt: number
  updatedAt: number
  version: number
  /** Set once DELETEd: the SCIM id answers 404, the user id and its devices stay refused. */
  deletedAt: number | null
}

export type ScimGroupRow = {
  id: string
  externalId: string | null
  displayName: string
  /** SCIM ids of the member users, sorted. */
  memberIds: string[]
  createdAt: number
  updatedAt: number
  version: number
}

/** What a create or an update writes; ids, times and versions are the storage's. */
export type ScimUserFields = Pick<
  ScimUserRow,
  'externalId' | 'userName' | 'active' | 'displayName' | 'document'
>
export type ScimGroupFields = Pick<ScimGroupRow, 'externalId' | 'displayName' | 'memberIds'>

/** Expected refusals, mapped to SCIM errors by relay/scim/ (409 uniqueness, 404, 400). */
export type ScimRefusal = 'scim/uniqueness' | 'scim/not-found' | 'scim/unknown-member'

/** An update computed from the current row inside the storage transaction, or a refusal. */
export type ScimChange<Row, Fields> = (current: Row) => Fields | { refused: string }

export type ScimUserWrite = {
  row: ScimUserRow
  /** Devices of the user newly refused by this write (it deactivated or deleted the user). */
  refusedDeviceIds: string[]
}

export interface ScimStorage {
  /** A new user with a fresh SCIM id and Wardline user id; userName is unique ignoring case. */
  createUser(fields: ScimUserFields): Promise<ScimUserWrite | { refused: ScimRefusal }>
  getUser(id: string): Promise<ScimUserRow | null>
  /**
   * Undeleted users by userName (ignoring case) or externalId (exact), through an index: the
   * lookup Entra ID and Okta make before every create, without reading the whole directory.
   */
  findUsers(by: { userName: string } | { externalId: string }): Promise<ScimUserRow[]>
  /** Every user not deleted, oldest first; with `includeDeleted` the deleted ones too. */
  listUsers(options?: { includeDeleted?: boolean }): Promise<ScimUserRow[]>
  /**
   * Reads the user, applies `change` and writes the result in one transaction. Setting active
   * to false refuses every device the user has now (kept refused after reactivation).
   */
  updateUser(
    id: string,
    change: ScimChange<ScimUserRow, ScimUserFields>,
  ): Promise<ScimUserWrite | { refused: ScimRefusal | string }>
  /** Marks the user deleted (its id answers 404), refuses its devices, drops its memberships. */
  deleteUser(id: string): Promise<ScimUserWrite | null>

  /** Members must be stored, undeleted users ('scim/unknown-member'); displayName unique. */
  createGroup(fields: ScimGroupFields): Promise<ScimGroupRow | { refused: ScimRefusal }>
  getGroup(id: string): Promise<ScimGroupRow | null>
  listGroups(): Promise<ScimGroupRow[]>
  updateGroup(
    id: string,
    change: ScimChange<ScimGroupRow, ScimGroupFields>,
  ): Promise<ScimGroupRow | { refused: ScimRefusal | string }>
  deleteGroup(id: string): Promise<boolean>

  /**
   * Whether the directory refuses this device: its user is a deactivated or deleted SCIM user,
   * or the device was refused by an earlier deactivation (it stays refused).
   */
  isDeviceRefused(deviceId: string, userId: string): Promise<boolean>
  /** Whether the Wardline user id belongs to a deactivated or deleted SCIM user. */
  isUserRefused(userId: string): Promise<boolean>
  /** Registered devices of a Wardline user, with whether each is revoked or refused. */
  devicesOfUser(userId: string): Promise<{ deviceId: string; revoked: boolean; refused: boolean }[]>
  /** Unrevoked devices enrolled under a root-signed `admin` authorization (who is told). */
  adminDeviceIds(): Promise<string[]>
}
